using System.Text.Json.Serialization;

namespace PorBot.Protocol.Cards;

/// <summary>An input; its value reaches the bot under <see cref="CardElement.Id"/> in the action's data.</summary>
public abstract class CardInput : CardElement
{
    protected CardInput(string id)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(id);
        Id = id;
    }

    public string? Label { get; set; }
    public bool? IsRequired { get; set; }
    public string? ErrorMessage { get; set; }
}

public sealed class TextInput(string id) : CardInput(id)
{
    public string? Placeholder { get; set; }
    public string? Value { get; set; }
    public bool? IsMultiline { get; set; }
    public int? MaxLength { get; set; }
    public string? Regex { get; set; }

    /// <summary><see cref="TextInputStyle.Password"/> only masks on screen; the value still travels in clear.</summary>
    public TextInputStyle? Style { get; set; }

    public CardAction? InlineAction { get; set; }
}

public sealed class ChoiceSetInput : CardInput
{
    public ChoiceSetInput(string id, params IEnumerable<Choice> choices) : base(id) => Choices = [.. choices];

    [JsonConstructor]
    private ChoiceSetInput(string id) : base(id) => Choices = [];

    public List<Choice> Choices { get; set; }
    public bool? IsMultiSelect { get; set; }
    public ChoiceInputStyle? Style { get; set; }

    /// <summary>The initially selected value; for multi-select, comma-separated values.</summary>
    public string? Value { get; set; }

    public string? Placeholder { get; set; }
    public bool? Wrap { get; set; }
}

public sealed record Choice(string Title, string Value);
