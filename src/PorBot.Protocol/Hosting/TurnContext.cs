using System.Security.Claims;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using PorBot.Protocol.Activities;
using PorBot.Protocol.Connector;

namespace PorBot.Protocol.Hosting;

/// <summary>
/// One inbound activity and the means to answer it. This is what the app sees of the protocol:
/// the activity (already normalised: tenant id, mention stripped), who sent it, and send/update.
/// </summary>
public sealed class TurnContext
{
    private readonly IConnectorClient _connector;
    private int _sentCount;

    public TurnContext(Activity activity, ChannelAuthContext auth, IConnectorClient connector, IServiceProvider services, string correlationId)
    {
        Activity = activity;
        Auth = auth;
        _connector = connector;
        Services = services;
        CorrelationId = correlationId;
    }

    public Activity Activity { get; }

    public ChannelAuthContext Auth { get; }

    /// <summary>Request-scoped services (handlers, stores).</summary>
    public IServiceProvider Services { get; }

    /// <summary>Shown to users in apologies and written to every log entry of the turn.</summary>
    public string CorrelationId { get; }

    /// <summary>
    /// The message text as the user meant it: bot mention removed and trimmed; for a card button that
    /// posts back text (Teams imBack/messageBack), that text.
    /// </summary>
    public string Text { get; internal set; } = string.Empty;

    /// <summary>Free-form per-turn state for middleware and handlers.</summary>
    public IDictionary<string, object> Items { get; } = new Dictionary<string, object>(StringComparer.Ordinal);

    /// <summary>True once anything (other than typing) was sent in this turn.</summary>
    public bool Responded => Volatile.Read(ref _sentCount) > 0;

    public string? TenantId => Activity.TenantId;

    public string? UserAadObjectId => Activity.From?.AadObjectId;

    public string? ConversationType => Activity.Conversation?.ConversationType;

    public bool IsPersonal =>
        Activity.Conversation?.IsGroup != true &&
        (ConversationType is null || string.Equals(ConversationType, ConversationTypes.Personal, StringComparison.OrdinalIgnoreCase));

    public T GetRequiredService<T>() where T : notnull => Services.GetRequiredService<T>();

    public Task<ResourceResponse> SendTextAsync(string text, CancellationToken cancellationToken = default) =>
        SendActivityAsync(Activity.CreateMessage(text), cancellationToken);

    public Task<ResourceResponse> SendAttachmentAsync(Attachment attachment, CancellationToken cancellationToken = default)
    {
        var message = Activity.CreateMessage();
        message.Attachments = [attachment];
        return SendActivityAsync(message, cancellationToken);
    }

    /// <summary>
    /// Sends into this turn's conversation, addressed as a reply (threaded in channels), the way the
    /// Bot Framework SDK does: reply-to when the inbound activity has an id, else a plain send.
    /// </summary>
    public async Task<ResourceResponse> SendActivityAsync(Activity activity, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(activity);
        var serviceUrl = Activity.ServiceUrl ?? throw new InvalidOperationException("The inbound activity has no serviceUrl to reply to.");
        var conversationId = Activity.Conversation?.Id ?? throw new InvalidOperationException("The inbound activity has no conversation id.");

        activity.Type ??= ActivityTypes.Message;
        activity.Conversation ??= new ConversationAccount { Id = conversationId, TenantId = Activity.Conversation.TenantId };
        activity.From ??= Activity.Recipient is { } bot ? new ChannelAccount { Id = bot.Id, Name = bot.Name } : null;
        activity.Recipient ??= Activity.From is { } user ? new ChannelAccount { Id = user.Id, Name = user.Name, AadObjectId = user.AadObjectId } : null;
        activity.ChannelId ??= Activity.ChannelId;
        activity.Locale ??= Activity.Locale;
        activity.ReplyToId ??= Activity.Id;

        var isTyping = string.Equals(activity.Type, ActivityTypes.Typing, StringComparison.Ordinal);
        if (!isTyping) Interlocked.Increment(ref _sentCount);

        return string.IsNullOrEmpty(activity.ReplyToId)
            ? await _connector.SendToConversationAsync(serviceUrl, conversationId, activity, cancellationToken)
            : await _connector.ReplyToActivityAsync(serviceUrl, conversationId, activity.ReplyToId, activity, cancellationToken);
    }

    /// <summary>Replaces a message the bot sent earlier in this conversation (e.g. a card after a button click).</summary>
    public Task<ResourceResponse> UpdateActivityAsync(string activityId, Activity activity, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(activity);
        activity.Id = activityId;
        activity.Type ??= ActivityTypes.Message;
        activity.Conversation ??= Activity.Conversation;
        return _connector.UpdateActivityAsync(Activity.ServiceUrl!, Activity.Conversation!.Id!, activityId, activity, cancellationToken);
    }

    /// <summary>Reads the activity's value (card submit data, invoke payload) as T, or default when absent.</summary>
    public T? GetValue<T>() => Activity.Value.ToObject<T>();

    internal static string ExtractPostBackText(Activity activity)
    {
        // Teams sends an Action.Submit with data.msteams {type: imBack|messageBack} as a message whose
        // text is the posted value; older clients leave text empty and put it only in value.
        if (activity.Value is not { ValueKind: JsonValueKind.Object } value ||
            !value.TryGetProperty("msteams", out var msteams) || msteams.ValueKind != JsonValueKind.Object)
        {
            return string.Empty;
        }

        foreach (var name in new[] { "value", "text" })
        {
            if (msteams.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String) return v.GetString() ?? string.Empty;
        }

        return string.Empty;
    }
}

/// <summary>How the inbound request was authenticated.</summary>
public sealed record ChannelAuthContext(bool IsAuthenticated, ClaimsIdentity? Identity)
{
    public static ChannelAuthContext Anonymous { get; } = new(false, null);
}
