using System.Text.Json.Serialization;

namespace PorBot.Protocol.Cards;

/// <summary>A card button (or select action). The JSON "type" comes from the derived class and is written first.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type", UnknownDerivedTypeHandling = JsonUnknownDerivedTypeHandling.FailSerialization)]
[JsonDerivedType(typeof(ExecuteAction), "Action.Execute")]
[JsonDerivedType(typeof(SubmitAction), "Action.Submit")]
[JsonDerivedType(typeof(OpenUrlAction), "Action.OpenUrl")]
[JsonDerivedType(typeof(ShowCardAction), "Action.ShowCard")]
public abstract class CardAction
{
    // Right after "type", so the JSON reads like the button.
    [JsonPropertyOrder(-1)]
    public string? Title { get; set; }
    public string? Id { get; set; }
    public string? Tooltip { get; set; }
    public bool? IsEnabled { get; set; }
    public ActionMode? Mode { get; set; }
}

/// <summary>
/// Universal Action: Teams sends an <c>adaptiveCard/action</c> invoke with <see cref="Verb"/> and
/// <see cref="Data"/> merged with the card's inputs, and the bot answers with a replacement card.
/// Needs card version ≥ 1.4; give old clients a <see cref="Fallback"/> (usually a <see cref="SubmitAction"/>).
/// </summary>
public sealed class ExecuteAction : CardAction
{
    public ExecuteAction() { }

    public ExecuteAction(string? title, string verb, object? data = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(verb);
        Title = title;
        Verb = verb;
        Data = data;
    }

    public string? Verb { get; set; }

    /// <summary>An object or a string; untrusted when it comes back (anyone in the chat can click).</summary>
    public object? Data { get; set; }

    public AssociatedInputs? AssociatedInputs { get; set; }

    /// <summary>What clients without Action.Execute show instead.</summary>
    public CardAction? Fallback { get; set; }

    public ExecuteAction WithFallback(CardAction fallback)
    {
        ArgumentNullException.ThrowIfNull(fallback);
        Fallback = fallback;
        return this;
    }
}

/// <summary>In Teams this arrives as a <c>message</c> activity whose <c>value</c> is the data plus the inputs; it cannot replace the card.</summary>
public sealed class SubmitAction : CardAction
{
    public SubmitAction() { }

    public SubmitAction(string? title, object? data = null)
    {
        Title = title;
        Data = data;
    }

    public object? Data { get; set; }
    public AssociatedInputs? AssociatedInputs { get; set; }

    /// <summary>A button that makes Teams post <paramref name="text"/> into the chat as if the user had typed it ("imBack").</summary>
    public static SubmitAction ImBack(string? title, string text) => new(title, new ImBackData(text));
}

/// <summary>Submit data asking Teams to post <see cref="TeamsImBack.Value"/> as a message from the user: <c>{"msteams":{"type":"imBack","value":…}}</c>.</summary>
public sealed class ImBackData(string text)
{
    [JsonPropertyName("msteams")]
    public TeamsImBack MsTeams { get; } = new(text ?? throw new ArgumentNullException(nameof(text)));
}

public sealed class TeamsImBack(string value)
{
    public string Type => "imBack";
    public string Value { get; } = value;
}

public sealed class OpenUrlAction : CardAction
{
    private string _url;

    public OpenUrlAction(string? title, string url)
    {
        Title = title;
        _url = CardUrls.RequireHttps(url, nameof(url));
    }

    public string Url
    {
        get => _url;
        set => _url = CardUrls.RequireHttps(value, nameof(value));
    }
}

public sealed class ShowCardAction : CardAction
{
    public ShowCardAction(string? title, AdaptiveCard card)
    {
        Title = title;
        Card = card ?? throw new ArgumentNullException(nameof(card));
    }

    /// <summary>The card shown inline; it needs no version of its own.</summary>
    public AdaptiveCard Card { get; set; }
}
