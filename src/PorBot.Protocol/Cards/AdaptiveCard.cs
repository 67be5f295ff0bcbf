using System.Text.Json;
using System.Text.Json.Serialization;
using PorBot.Protocol.Activities;

namespace PorBot.Protocol.Cards;

/// <summary>
/// An Adaptive Card 1.5 (the highest version Teams renders). Build it fluently, e.g.
/// <c>new AdaptiveCard().AddText("Hi", TextSize.Large, TextWeight.Bolder).AddFacts(("POR", name)).AddAction(new SubmitAction("Help", data))</c>,
/// then send <see cref="ToAttachment"/>. Serialize it with <c>ProtocolJson.Options</c>.
/// </summary>
public sealed class AdaptiveCard : ICardElementHost
{
    public const string SchemaUrl = "http://adaptivecards.io/schemas/adaptive-card.json";
    public const string TeamsVersion = "1.5";

    [JsonPropertyOrder(-2)]
    public string Type => "AdaptiveCard";

    /// <summary>A new 1.5 card with the schema URL set.</summary>
    public AdaptiveCard()
    {
        Schema = SchemaUrl;
        Version = TeamsVersion;
    }

    // For deserialization: a card read from JSON keeps exactly the version (and $schema) it had.
    [JsonConstructor]
    private AdaptiveCard(string? version) => Version = version;

    [JsonPropertyName("$schema")]
    [JsonPropertyOrder(-1)]
    public string? Schema { get; set; }

    /// <summary>Required on the top-level card (not on <see cref="ShowCardAction"/> cards).</summary>
    public string? Version { get; set; }

    public CardRefresh? Refresh { get; set; }
    public List<CardElement> Body { get; set; } = [];
    public List<CardAction>? Actions { get; set; }
    public CardAction? SelectAction { get; set; }

    /// <summary>Shown by clients that cannot render the card (and in notifications).</summary>
    public string? FallbackText { get; set; }

    /// <summary>Teams-only root property (full width, mentions). The official schema rejects it; Teams needs it.</summary>
    [JsonPropertyName("msteams")]
    public TeamsCardProperties? MsTeams { get; set; }

    void ICardElementHost.AddElement(CardElement element) => Body.Add(element);

    public AdaptiveCard AddAction(CardAction action)
    {
        ArgumentNullException.ThrowIfNull(action);
        (Actions ??= []).Add(action);
        return this;
    }

    public AdaptiveCard AddActions(params IEnumerable<CardAction> actions)
    {
        foreach (var action in actions) AddAction(action);
        return this;
    }

    /// <summary>Universal Actions refresh: Teams calls <paramref name="verb"/> when the card is shown to one of <paramref name="userIds"/>.</summary>
    public AdaptiveCard WithRefresh(string verb, object? data = null, IEnumerable<string>? userIds = null)
    {
        Refresh = new CardRefresh(new ExecuteAction(null, verb, data), userIds?.ToArray());
        return this;
    }

    public AdaptiveCard WithFallbackText(string text)
    {
        FallbackText = text;
        return this;
    }

    /// <summary>Use the whole message width in Teams instead of the default card width.</summary>
    public AdaptiveCard WithFullWidth()
    {
        (MsTeams ??= new TeamsCardProperties()).Width = TeamsCardProperties.FullWidth;
        return this;
    }

    /// <summary>
    /// Makes <c>&lt;at&gt;name&lt;/at&gt;</c> in a TextBlock or FactSet mention <paramref name="userId"/>
    /// (a 29: id, AAD object id or UPN). Returns the text to put in the element via <paramref name="mentionText"/>.
    /// </summary>
    public AdaptiveCard WithMention(string userId, string name, out string mentionText)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(userId);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        mentionText = $"<at>{name}</at>";
        ((MsTeams ??= new TeamsCardProperties()).Entities ??= []).Add(new Entity
        {
            Type = "mention",
            Text = mentionText,
            Mentioned = new ChannelAccount { Id = userId, Name = name },
        });
        return this;
    }

    public Attachment ToAttachment() => new() { ContentType = Attachment.AdaptiveCardContentType, Content = this };

    public string ToJson() => ProtocolJson.Serialize(this);
}

/// <summary>
/// Card root <c>refresh</c>: Teams runs <see cref="Action"/> automatically for the listed users when they see the
/// card (at most <see cref="MaxUserIds"/>); an empty list means manual refresh only; null means everyone in
/// chats of up to 60 members.
/// </summary>
public sealed class CardRefresh
{
    public const int MaxUserIds = 60;

    private readonly IReadOnlyList<string>? _userIds;

    public CardRefresh(ExecuteAction action, IReadOnlyList<string>? userIds = null)
    {
        Action = action ?? throw new ArgumentNullException(nameof(action));
        UserIds = userIds;
    }

    [JsonConstructor]
    private CardRefresh(CardAction serializedAction, IReadOnlyList<string>? userIds)
        : this(serializedAction as ExecuteAction ?? throw new JsonException("refresh.action must be an Action.Execute."), userIds)
    {
    }

    [JsonIgnore]
    public ExecuteAction Action { get; }

    // Declared as the base type so the "type":"Action.Execute" discriminator is written.
    [JsonInclude]
    [JsonPropertyName("action")]
    private CardAction SerializedAction => Action;

    public IReadOnlyList<string>? UserIds
    {
        get => _userIds;
        init
        {
            if (value is { Count: > MaxUserIds })
            {
                throw new ArgumentException($"Teams refreshes automatically for at most {MaxUserIds} users; got {value.Count}.", nameof(value));
            }
            _userIds = value?.ToArray(); // a copy, so the limit cannot be bypassed through the caller's list
        }
    }
}

public sealed class TeamsCardProperties
{
    public const string FullWidth = "Full";

    public string? Width { get; set; }

    /// <summary>Mention entities for <c>&lt;at&gt;</c> tags in TextBlocks/FactSets.</summary>
    public List<Entity>? Entities { get; set; }
}
