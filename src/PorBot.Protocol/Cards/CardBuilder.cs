namespace PorBot.Protocol.Cards;

/// <summary>Something elements can be added to: the card body, a <see cref="Container"/>, a <see cref="Column"/>.</summary>
public interface ICardElementHost
{
    void AddElement(CardElement element);
}

/// <summary>
/// Fluent builders shared by cards, containers and columns, so app code reads like the card. Each returns
/// the host it was called on. TextBlocks wrap by default: Teams cuts unwrapped text at one line.
/// </summary>
public static class CardBuilder
{
    public static T Add<T>(this T host, CardElement element) where T : ICardElementHost
    {
        ArgumentNullException.ThrowIfNull(element);
        host.AddElement(element);
        return host;
    }

    public static T Add<T>(this T host, params IEnumerable<CardElement> elements) where T : ICardElementHost
    {
        foreach (var element in elements) host.Add(element);
        return host;
    }

    /// <summary>Adds markdown text. Pass untrusted parts through <see cref="Markdown.Escape"/> or use <see cref="AddVerbatimText"/>.</summary>
    public static T AddText<T>(this T host, string text, TextSize? size = null, TextWeight? weight = null,
        TextColor? color = null, bool? isSubtle = null, bool wrap = true, Spacing? spacing = null) where T : ICardElementHost =>
        host.Add(new TextBlock(text)
        {
            Size = size,
            Weight = weight,
            Color = color,
            IsSubtle = isSubtle,
            Wrap = wrap ? true : null,
            Spacing = spacing,
        });

    /// <summary>A heading (style "heading", which screen readers announce as one).</summary>
    public static T AddHeading<T>(this T host, string text, TextSize size = TextSize.Large) where T : ICardElementHost =>
        host.Add(new TextBlock(text) { Style = TextBlockStyle.Heading, Size = size, Weight = TextWeight.Bolder, Wrap = true });

    /// <summary>Shows <paramref name="text"/> exactly as given (no markdown): the safe way to show user-provided text.</summary>
    public static T AddVerbatimText<T>(this T host, string text, TextSize? size = null, TextWeight? weight = null,
        TextColor? color = null, bool? isSubtle = null) where T : ICardElementHost =>
        host.Add(new RichTextBlock(new TextRun(text) { Size = size, Weight = weight, Color = color, IsSubtle = isSubtle }));

    /// <summary>Adds a FactSet. Titles and values are markdown: escape untrusted ones with <see cref="Markdown.Escape"/>.</summary>
    public static T AddFacts<T>(this T host, params IEnumerable<(string Title, string Value)> facts) where T : ICardElementHost
    {
        var factSet = new FactSet();
        foreach (var (title, value) in facts) factSet.Facts.Add(new Fact(title, value));
        return host.Add(factSet);
    }

    public static T AddImage<T>(this T host, string url, string altText, ImageSize? size = null, ImageStyle? style = null)
        where T : ICardElementHost =>
        host.Add(new Image(url) { AltText = altText, Size = size, Style = style });

    public static T AddColumns<T>(this T host, params IEnumerable<Column> columns) where T : ICardElementHost =>
        host.Add(new ColumnSet(columns));

    public static T AddContainer<T>(this T host, ContainerStyle style, Action<Container> build) where T : ICardElementHost
    {
        ArgumentNullException.ThrowIfNull(build);
        var container = new Container { Style = style };
        build(container);
        return host.Add(container);
    }

    /// <summary>Buttons in the body; <see cref="ExecuteAction"/>s belong here so old clients fall back.</summary>
    public static T AddActionSet<T>(this T host, params IEnumerable<CardAction> actions) where T : ICardElementHost =>
        host.Add(new ActionSet(actions));

    public static T AddInput<T>(this T host, CardInput input) where T : ICardElementHost => host.Add(input);
}
