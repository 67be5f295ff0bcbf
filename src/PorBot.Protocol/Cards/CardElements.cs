using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace PorBot.Protocol.Cards;

/// <summary>
/// An element of a card body, container or column. The JSON "type" comes from the derived class
/// and is written first, as the Adaptive Card SDKs expect.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type", UnknownDerivedTypeHandling = JsonUnknownDerivedTypeHandling.FailSerialization)]
[JsonDerivedType(typeof(TextBlock), "TextBlock")]
[JsonDerivedType(typeof(RichTextBlock), "RichTextBlock")]
[JsonDerivedType(typeof(FactSet), "FactSet")]
[JsonDerivedType(typeof(ColumnSet), "ColumnSet")]
[JsonDerivedType(typeof(Container), "Container")]
[JsonDerivedType(typeof(Image), "Image")]
[JsonDerivedType(typeof(ActionSet), "ActionSet")]
[JsonDerivedType(typeof(TextInput), "Input.Text")]
[JsonDerivedType(typeof(ChoiceSetInput), "Input.ChoiceSet")]
public abstract class CardElement
{
    // Right after "type": inputs are known by their id.
    [JsonPropertyOrder(-1)]
    public string? Id { get; set; }
    public Spacing? Spacing { get; set; }
    public bool? Separator { get; set; }
    public bool? IsVisible { get; set; }
}

/// <summary>Markdown-formatted text. For untrusted text use <see cref="RichTextBlock"/> or <see cref="Markdown.Escape"/>.</summary>
public sealed class TextBlock(string text) : CardElement
{
    public string Text { get; set; } = text ?? throw new ArgumentNullException(nameof(text));
    public bool? Wrap { get; set; }
    public TextSize? Size { get; set; }
    public TextWeight? Weight { get; set; }
    public TextColor? Color { get; set; }
    public bool? IsSubtle { get; set; }
    public int? MaxLines { get; set; }
    public HorizontalAlignment? HorizontalAlignment { get; set; }
    public TextBlockStyle? Style { get; set; }
}

/// <summary>Text shown exactly as given: no markdown, so safe for user-provided and external text.</summary>
public sealed class RichTextBlock : CardElement
{
    public List<TextRun> Inlines { get; set; } = [];
    public HorizontalAlignment? HorizontalAlignment { get; set; }

    public RichTextBlock() { }

    public RichTextBlock(params IEnumerable<TextRun> inlines) => Inlines = [.. inlines];
}

public sealed class TextRun(string text)
{
    [JsonPropertyOrder(-1)]
    public string Type => "TextRun";

    public string Text { get; set; } = text ?? throw new ArgumentNullException(nameof(text));
    public TextSize? Size { get; set; }
    public TextWeight? Weight { get; set; }
    public TextColor? Color { get; set; }
    public bool? IsSubtle { get; set; }
    public bool? Italic { get; set; }
    public bool? Strikethrough { get; set; }
}

/// <summary>Title/value pairs. Both are markdown: escape untrusted values with <see cref="Markdown.Escape"/>.</summary>
public sealed class FactSet : CardElement
{
    public List<Fact> Facts { get; set; } = [];

    public FactSet() { }

    public FactSet(params IEnumerable<Fact> facts) => Facts = [.. facts];
}

public sealed record Fact(string Title, string Value);

public sealed class ColumnSet : CardElement
{
    public List<Column> Columns { get; set; } = [];
    public ContainerStyle? Style { get; set; }
    public bool? Bleed { get; set; }
    public HorizontalAlignment? HorizontalAlignment { get; set; }
    public CardAction? SelectAction { get; set; }

    public ColumnSet() { }

    public ColumnSet(params IEnumerable<Column> columns) => Columns = [.. columns];
}

/// <summary>A column of a <see cref="ColumnSet"/> (not an element on its own, so not a <see cref="CardElement"/>).</summary>
public sealed class Column : ICardElementHost
{
    [JsonPropertyOrder(-1)]
    public string Type => "Column";

    public List<CardElement> Items { get; set; } = [];
    public ColumnWidth? Width { get; set; }
    public ContainerStyle? Style { get; set; }
    public VerticalContentAlignment? VerticalContentAlignment { get; set; }
    public bool? Bleed { get; set; }
    public CardAction? SelectAction { get; set; }
    public string? Id { get; set; }
    public Spacing? Spacing { get; set; }
    public bool? Separator { get; set; }
    public bool? IsVisible { get; set; }

    public Column() { }

    public Column(ColumnWidth width, params IEnumerable<CardElement> items)
    {
        Width = width;
        Items = [.. items];
    }

    void ICardElementHost.AddElement(CardElement element) => Items.Add(element);
}

/// <summary>A column width: "auto", "stretch", "NNpx", or a relative weight (a JSON number).</summary>
[JsonConverter(typeof(ColumnWidthConverter))]
public readonly record struct ColumnWidth
{
    private readonly string? _keywordOrPixels;
    private readonly double _weight;

    private ColumnWidth(string? keywordOrPixels, double weight)
    {
        _keywordOrPixels = keywordOrPixels;
        _weight = weight;
    }

    /// <summary>As wide as the content.</summary>
    public static ColumnWidth Auto { get; } = new("auto", 0);

    /// <summary>Takes the remaining width (shared with other stretch columns).</summary>
    public static ColumnWidth Stretch { get; } = new("stretch", 0);

    public static ColumnWidth Pixels(int pixels) => pixels > 0
        ? new(pixels.ToString(CultureInfo.InvariantCulture) + "px", 0)
        : throw new ArgumentOutOfRangeException(nameof(pixels), pixels, "Column width must be positive.");

    public static ColumnWidth Weight(double weight) => weight > 0 && double.IsFinite(weight)
        ? new(null, weight)
        : throw new ArgumentOutOfRangeException(nameof(weight), weight, "Column weight must be positive.");

    /// <summary>Reads "auto", "stretch", "NNpx" or a number written as a string.</summary>
    public static ColumnWidth Parse(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var v = value.Trim();
        if (v.Equals("auto", StringComparison.OrdinalIgnoreCase)) return Auto;
        if (v.Equals("stretch", StringComparison.OrdinalIgnoreCase)) return Stretch;
        if (v.EndsWith("px", StringComparison.OrdinalIgnoreCase)
            && int.TryParse(v.AsSpan(0, v.Length - 2), NumberStyles.None, CultureInfo.InvariantCulture, out var px))
        {
            return Pixels(px);
        }
        if (double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var weight)) return Weight(weight);
        throw new FormatException($"'{value}' is not a column width (auto, stretch, NNpx or a number).");
    }

    public override string ToString() => _keywordOrPixels ?? _weight.ToString(CultureInfo.InvariantCulture);

    internal void WriteTo(Utf8JsonWriter writer)
    {
        if (_keywordOrPixels is { } s) writer.WriteStringValue(s);
        else writer.WriteNumberValue(_weight);
    }

    internal sealed class ColumnWidthConverter : JsonConverter<ColumnWidth>
    {
        public override ColumnWidth Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.TokenType switch
            {
                JsonTokenType.Number => Weight(reader.GetDouble()),
                JsonTokenType.String => Parse(reader.GetString()!),
                _ => throw new JsonException("A column width is a string or a number."),
            };

        public override void Write(Utf8JsonWriter writer, ColumnWidth value, JsonSerializerOptions options) => value.WriteTo(writer);
    }
}

/// <summary>Groups elements, e.g. to give them a background style or make the whole group clickable.</summary>
public sealed class Container : CardElement, ICardElementHost
{
    public List<CardElement> Items { get; set; } = [];
    public ContainerStyle? Style { get; set; }
    public VerticalContentAlignment? VerticalContentAlignment { get; set; }
    public bool? Bleed { get; set; }
    public CardAction? SelectAction { get; set; }

    public Container() { }

    public Container(ContainerStyle style, params IEnumerable<CardElement> items)
    {
        Style = style;
        Items = [.. items];
    }

    void ICardElementHost.AddElement(CardElement element) => Items.Add(element);
}

public sealed class Image : CardElement
{
    private string _url;

    /// <param name="url">An absolute https URL (≤1024×1024, ≤1 MB, PNG/JPEG/GIF, no redirects, per Teams).</param>
    public Image(string url) => _url = CardUrls.RequireHttps(url, nameof(url));

    public string Url
    {
        get => _url;
        set => _url = CardUrls.RequireHttps(value, nameof(value));
    }

    public string? AltText { get; set; }
    public ImageSize? Size { get; set; }
    public ImageStyle? Style { get; set; }
    public HorizontalAlignment? HorizontalAlignment { get; set; }

    /// <summary>Pixel width like "48px" (overrides <see cref="Size"/>).</summary>
    public string? Width { get; set; }

    /// <summary>Pixel height like "48px" (overrides <see cref="Size"/>).</summary>
    public string? Height { get; set; }

    public CardAction? SelectAction { get; set; }
}

/// <summary>Actions inside the body. Wrap <see cref="ExecuteAction"/>s in one so old clients can use their fallback.</summary>
public sealed class ActionSet : CardElement
{
    public List<CardAction> Actions { get; set; } = [];

    public ActionSet() { }

    public ActionSet(params IEnumerable<CardAction> actions) => Actions = [.. actions];
}
