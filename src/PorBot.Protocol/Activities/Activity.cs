using System.Text.Json;
using System.Text.Json.Serialization;

namespace PorBot.Protocol.Activities;

/// <summary>
/// A Bot Framework v3 activity. Only the fields PorBot reads or writes are typed; everything else
/// (Teams adds fields outside the spec) is kept in <see cref="Extra"/> and written back unchanged.
/// </summary>
public sealed class Activity
{
    public string? Type { get; set; }
    public string? Id { get; set; }
    public DateTimeOffset? Timestamp { get; set; }
    public DateTimeOffset? LocalTimestamp { get; set; }
    public string? ServiceUrl { get; set; }
    public string? ChannelId { get; set; }
    public ChannelAccount? From { get; set; }
    public ConversationAccount? Conversation { get; set; }
    public ChannelAccount? Recipient { get; set; }
    public string? TextFormat { get; set; }
    public string? AttachmentLayout { get; set; }
    public List<ChannelAccount>? MembersAdded { get; set; }
    public List<ChannelAccount>? MembersRemoved { get; set; }
    public List<MessageReaction>? ReactionsAdded { get; set; }
    public List<MessageReaction>? ReactionsRemoved { get; set; }
    public string? Locale { get; set; }
    public string? Text { get; set; }
    public string? Summary { get; set; }
    public SuggestedActions? SuggestedActions { get; set; }
    public List<Attachment>? Attachments { get; set; }
    public List<Entity>? Entities { get; set; }
    public JsonElement? ChannelData
    {
        get => _channelData;
        set
        {
            _channelData = value;
            _teamsChannelData = null;
        }
    }
    public string? Action { get; set; }
    public string? ReplyToId { get; set; }
    public JsonElement? Value { get; set; }
    public string? Name { get; set; }
    public ConversationReference? RelatesTo { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }

    [JsonIgnore]
    public bool IsInvoke => string.Equals(Type, ActivityTypes.Invoke, StringComparison.OrdinalIgnoreCase);

    private JsonElement? _channelData;
    private TeamsChannelData? _teamsChannelData;

    /// <summary>
    /// Teams channel data, parsed on first use and kept until <see cref="ChannelData"/> is replaced (null when
    /// absent or not an object). Treat it as read-only: change the activity through <see cref="ChannelData"/>.
    /// </summary>
    public TeamsChannelData? GetTeamsChannelData() =>
        _teamsChannelData ??= ChannelData is { ValueKind: JsonValueKind.Object } data ? data.Deserialize<TeamsChannelData>(ProtocolJson.Options) : null;

    /// <summary>The tenant, from conversation.tenantId or Teams' channelData.tenant.id.</summary>
    [JsonIgnore]
    public string? TenantId => Conversation?.TenantId ?? GetTeamsChannelData()?.Tenant?.Id;

    public static Activity CreateMessage(string? text = null) => new() { Type = ActivityTypes.Message, Text = text };

    public static Activity CreateTyping() => new() { Type = ActivityTypes.Typing };
}

public sealed class ChannelAccount
{
    public string? Id { get; set; }
    public string? Name { get; set; }
    public string? AadObjectId { get; set; }
    public string? Role { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }
}

public sealed class ConversationAccount
{
    public bool? IsGroup { get; set; }
    public string? ConversationType { get; set; }
    public string? Id { get; set; }
    public string? Name { get; set; }
    public string? AadObjectId { get; set; }
    public string? Role { get; set; }
    public string? TenantId { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }
}

public sealed class Attachment
{
    public const string AdaptiveCardContentType = "application/vnd.microsoft.card.adaptive";
    public const string ThumbnailCardContentType = "application/vnd.microsoft.card.thumbnail";
    public const string HeroCardContentType = "application/vnd.microsoft.card.hero";

    public string? ContentType { get; set; }
    public string? ContentUrl { get; set; }
    public object? Content { get; set; }
    public string? Name { get; set; }
    public string? ThumbnailUrl { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }
}

/// <summary>An entity: a type plus free-form properties (mention, clientInfo, …).</summary>
public sealed class Entity
{
    public string? Type { get; set; }

    /// <summary>Set for mention entities.</summary>
    public ChannelAccount? Mentioned { get; set; }

    /// <summary>Set for mention entities: the exact substring of the message text, e.g. "&lt;at&gt;PorBot&lt;/at&gt;".</summary>
    public string? Text { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }
}

public sealed class MessageReaction
{
    public string? Type { get; set; }
}

public sealed class SuggestedActions
{
    public List<string>? To { get; set; }
    public List<SuggestedCardAction>? Actions { get; set; }
}

/// <summary>A suggested-action button (Bot Framework's CardAction; named apart from the Adaptive Card actions).</summary>
public sealed class SuggestedCardAction
{
    public string? Type { get; set; }
    public string? Title { get; set; }
    public object? Value { get; set; }
    public string? Text { get; set; }
    public string? DisplayText { get; set; }
}

public sealed class ConversationReference
{
    public string? ActivityId { get; set; }
    public ChannelAccount? User { get; set; }
    public ChannelAccount? Bot { get; set; }
    public ConversationAccount? Conversation { get; set; }
    public string? ChannelId { get; set; }
    public string? Locale { get; set; }
    public string? ServiceUrl { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }
}
