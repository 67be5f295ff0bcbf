using PorBot.Protocol.Activities;
using PorBot.Protocol.Hosting;

namespace PorBot.Conversations;

/// <summary>
/// Captures where each user and conversation can be reached, from installs, conversation updates and
/// every message; an uninstall or the bot's removal marks the conversation dead.
/// </summary>
public sealed class ConversationReferenceMiddleware(IConversationReferenceStore store, ILogger<ConversationReferenceMiddleware> logger) : ITurnMiddleware
{
    public async Task InvokeAsync(TurnContext turn, Func<Task> next, CancellationToken cancellationToken)
    {
        try
        {
            await CaptureAsync(turn, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Losing one refresh must not cost the user an answer; the next activity refreshes again.
            logger.LogWarning(ex, "Could not store the conversation reference for {ConversationId}", turn.Activity.Conversation?.Id);
        }

        await next();
    }

    private async Task CaptureAsync(TurnContext turn, CancellationToken cancellationToken)
    {
        var activity = turn.Activity;
        if (activity.Type is not (ActivityTypes.Message or ActivityTypes.ConversationUpdate or ActivityTypes.InstallationUpdate)) return;
        if (activity.Conversation?.Id is not { Length: > 0 } conversationId || activity.ServiceUrl is not { Length: > 0 } serviceUrl) return;

        if (IsRemoval(activity))
        {
            await store.MarkDeadAsync(conversationId, "The app was removed from this conversation.", cancellationToken);
            return;
        }

        var isPersonal = turn.IsPersonal;
        var fromUser = activity.Type == ActivityTypes.Message || isPersonal ? activity.From : null;
        var team = MayHaveTeam(activity.ChannelData) ? activity.GetTeamsChannelData()?.Team : null;
        await store.UpsertAsync(new StoredConversationReference
        {
            TenantId = turn.TenantId ?? string.Empty,
            ConversationId = conversationId,
            UserAadObjectId = fromUser?.AadObjectId ?? string.Empty,
            UserId = fromUser?.Id,
            UserName = fromUser?.Name,
            BotId = activity.Recipient?.Id ?? string.Empty,
            ServiceUrl = serviceUrl,
            ServiceUrlVerified = turn.Auth.IsAuthenticated,
            ChannelId = activity.ChannelId ?? string.Empty,
            ConversationType = activity.Conversation.ConversationType,
            TeamId = team?.Id,
            TeamAadGroupId = team?.AadGroupId,
        }, cancellationToken);
    }

    // Most messages come from personal chats, whose channel data names no team: no need to parse it to learn that.
    private static bool MayHaveTeam(System.Text.Json.JsonElement? channelData)
    {
        if (channelData is not { ValueKind: System.Text.Json.JsonValueKind.Object } data) return false;
        foreach (var property in data.EnumerateObject())
        {
            // Case-insensitive, as the protocol options read property names.
            if (string.Equals(property.Name, "team", StringComparison.OrdinalIgnoreCase)) return true;
        }

        return false;
    }

    private static bool IsRemoval(Activity activity) =>
        (activity.Type == ActivityTypes.InstallationUpdate && activity.Action is "remove" or "remove-upgrade") ||
        (activity.Type == ActivityTypes.ConversationUpdate && activity.MembersRemoved?.Any(m => m.Id == activity.Recipient?.Id) == true);
}
