using System.Text.Json;
using System.Text.Json.Serialization;
using PorBot.Protocol.Activities;

namespace PorBot.Protocol.Cards;

/// <summary>
/// Writes cards straight to the <see cref="Utf8JsonWriter"/>, the same JSON property for property as
/// System.Text.Json's metadata serializer (derived properties before base ones, "type" first, nulls left out).
/// A card is built and sent on most turns, and the polymorphic metadata path cost a lookup turn more than
/// everything else it does in PorBot's own code (bench/optimisations.md). Reading stays on the metadata path.
/// </summary>
internal sealed class AdaptiveCardJsonConverter : JsonConverter<AdaptiveCard>
{
    public override AdaptiveCard? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        JsonSerializer.Deserialize<AdaptiveCard>(ref reader, ProtocolJson.MetadataOptions);

    public override void Write(Utf8JsonWriter writer, AdaptiveCard value, JsonSerializerOptions options) =>
        CardJsonWriter.WriteCard(writer, value, options);
}

internal static class CardJsonWriter
{
    public static void WriteCard(Utf8JsonWriter w, AdaptiveCard card, JsonSerializerOptions options)
    {
        w.WriteStartObject();
        w.WriteString(Names.Type, Names.AdaptiveCard);
        String(w, Names.Schema, card.Schema);
        String(w, Names.Version, card.Version);
        if (card.Refresh is { } refresh)
        {
            w.WriteStartObject(Names.Refresh);
            w.WritePropertyName(Names.Action);
            WriteAction(w, refresh.Action, options);
            if (refresh.UserIds is { } userIds)
            {
                w.WriteStartArray(Names.UserIds);
                foreach (var id in userIds) w.WriteStringValue(id);
                w.WriteEndArray();
            }
            w.WriteEndObject();
        }

        Elements(w, Names.Body, card.Body, options);
        Actions(w, Names.Actions, card.Actions, options);
        Action(w, Names.SelectAction, card.SelectAction, options);
        String(w, Names.FallbackText, card.FallbackText);
        if (card.MsTeams is { } teams)
        {
            w.WriteStartObject(Names.MsTeams);
            String(w, Names.Width, teams.Width);
            if (teams.Entities is { } entities)
            {
                w.WriteStartArray(Names.Entities);
                foreach (var entity in entities) JsonSerializer.Serialize(w, entity, options);
                w.WriteEndArray();
            }
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }

    private static void WriteElement(Utf8JsonWriter w, CardElement element, JsonSerializerOptions options)
    {
        w.WriteStartObject();
        switch (element)
        {
            case TextBlock text:
                Head(w, Names.TextBlock, text);
                w.WriteString(Names.Text, text.Text);
                Bool(w, Names.Wrap, text.Wrap);
                Enum(w, Names.Size, text.Size);
                Enum(w, Names.Weight, text.Weight);
                Enum(w, Names.Color, text.Color);
                Bool(w, Names.IsSubtle, text.IsSubtle);
                Int(w, Names.MaxLines, text.MaxLines);
                Enum(w, Names.HorizontalAlignment, text.HorizontalAlignment);
                Enum(w, Names.Style, text.Style);
                break;
            case RichTextBlock rich:
                Head(w, Names.RichTextBlock, rich);
                if (rich.Inlines is { } inlines)
                {
                    w.WriteStartArray(Names.Inlines);
                    foreach (var run in inlines) WriteTextRun(w, run);
                    w.WriteEndArray();
                }
                Enum(w, Names.HorizontalAlignment, rich.HorizontalAlignment);
                break;
            case FactSet factSet:
                Head(w, Names.FactSet, factSet);
                TitlesAndValues(w, Names.Facts, factSet.Facts, static fact => (fact.Title, fact.Value));
                break;
            case ColumnSet columnSet:
                Head(w, Names.ColumnSet, columnSet);
                if (columnSet.Columns is { } columns)
                {
                    w.WriteStartArray(Names.Columns);
                    foreach (var column in columns) WriteColumn(w, column, options);
                    w.WriteEndArray();
                }
                Enum(w, Names.Style, columnSet.Style);
                Bool(w, Names.Bleed, columnSet.Bleed);
                Enum(w, Names.HorizontalAlignment, columnSet.HorizontalAlignment);
                Action(w, Names.SelectAction, columnSet.SelectAction, options);
                break;
            case Container container:
                Head(w, Names.Container, container);
                Elements(w, Names.Items, container.Items, options);
                Enum(w, Names.Style, container.Style);
                Enum(w, Names.VerticalContentAlignment, container.VerticalContentAlignment);
                Bool(w, Names.Bleed, container.Bleed);
                Action(w, Names.SelectAction, container.SelectAction, options);
                break;
            case Image image:
                Head(w, Names.Image, image);
                w.WriteString(Names.Url, image.Url);
                String(w, Names.AltText, image.AltText);
                Enum(w, Names.Size, image.Size);
                Enum(w, Names.Style, image.Style);
                Enum(w, Names.HorizontalAlignment, image.HorizontalAlignment);
                String(w, Names.Width, image.Width);
                String(w, Names.Height, image.Height);
                Action(w, Names.SelectAction, image.SelectAction, options);
                break;
            case ActionSet actionSet:
                Head(w, Names.ActionSet, actionSet);
                Actions(w, Names.Actions, actionSet.Actions, options);
                break;
            case TextInput input:
                Head(w, Names.TextInput, input);
                String(w, Names.Placeholder, input.Placeholder);
                String(w, Names.Value, input.Value);
                Bool(w, Names.IsMultiline, input.IsMultiline);
                Int(w, Names.MaxLength, input.MaxLength);
                String(w, Names.Regex, input.Regex);
                Enum(w, Names.Style, input.Style);
                Action(w, Names.InlineAction, input.InlineAction, options);
                InputTail(w, input);
                break;
            case ChoiceSetInput input:
                Head(w, Names.ChoiceSetInput, input);
                TitlesAndValues(w, Names.Choices, input.Choices, static choice => (choice.Title, choice.Value));
                Bool(w, Names.IsMultiSelect, input.IsMultiSelect);
                Enum(w, Names.Style, input.Style);
                String(w, Names.Value, input.Value);
                String(w, Names.Placeholder, input.Placeholder);
                Bool(w, Names.Wrap, input.Wrap);
                InputTail(w, input);
                break;
            default:
                throw new NotSupportedException($"{element.GetType()} is not a card element the card writer knows.");
        }

        Enum(w, Names.Spacing, element.Spacing);
        Bool(w, Names.Separator, element.Separator);
        Bool(w, Names.IsVisible, element.IsVisible);
        w.WriteEndObject();
    }

    // "type", then the id (JsonPropertyOrder -1 on CardElement.Id), as the metadata serializer orders them.
    private static void Head(Utf8JsonWriter w, JsonEncodedText type, CardElement element)
    {
        w.WriteString(Names.Type, type);
        String(w, Names.Id, element.Id);
    }

    private static void InputTail(Utf8JsonWriter w, CardInput input)
    {
        String(w, Names.Label, input.Label);
        Bool(w, Names.IsRequired, input.IsRequired);
        String(w, Names.ErrorMessage, input.ErrorMessage);
    }

    private static void WriteTextRun(Utf8JsonWriter w, TextRun run)
    {
        w.WriteStartObject();
        w.WriteString(Names.Type, Names.TextRun);
        w.WriteString(Names.Text, run.Text);
        Enum(w, Names.Size, run.Size);
        Enum(w, Names.Weight, run.Weight);
        Enum(w, Names.Color, run.Color);
        Bool(w, Names.IsSubtle, run.IsSubtle);
        Bool(w, Names.Italic, run.Italic);
        Bool(w, Names.Strikethrough, run.Strikethrough);
        w.WriteEndObject();
    }

    private static void WriteColumn(Utf8JsonWriter w, Column column, JsonSerializerOptions options)
    {
        w.WriteStartObject();
        w.WriteString(Names.Type, Names.Column);
        Elements(w, Names.Items, column.Items, options);
        if (column.Width is { } width)
        {
            w.WritePropertyName(Names.Width);
            width.WriteTo(w);
        }
        Enum(w, Names.Style, column.Style);
        Enum(w, Names.VerticalContentAlignment, column.VerticalContentAlignment);
        Bool(w, Names.Bleed, column.Bleed);
        Action(w, Names.SelectAction, column.SelectAction, options);
        String(w, Names.Id, column.Id);
        Enum(w, Names.Spacing, column.Spacing);
        Bool(w, Names.Separator, column.Separator);
        Bool(w, Names.IsVisible, column.IsVisible);
        w.WriteEndObject();
    }

    private static void WriteAction(Utf8JsonWriter w, CardAction action, JsonSerializerOptions options)
    {
        w.WriteStartObject();
        switch (action)
        {
            case ExecuteAction execute:
                w.WriteString(Names.Type, Names.ExecuteAction);
                String(w, Names.Title, execute.Title);
                String(w, Names.Verb, execute.Verb);
                Data(w, execute.Data, options);
                Enum(w, Names.AssociatedInputs, execute.AssociatedInputs);
                Action(w, Names.Fallback, execute.Fallback, options);
                break;
            case SubmitAction submit:
                w.WriteString(Names.Type, Names.SubmitAction);
                String(w, Names.Title, submit.Title);
                Data(w, submit.Data, options);
                Enum(w, Names.AssociatedInputs, submit.AssociatedInputs);
                break;
            case OpenUrlAction openUrl:
                w.WriteString(Names.Type, Names.OpenUrlAction);
                String(w, Names.Title, openUrl.Title);
                w.WriteString(Names.Url, openUrl.Url);
                break;
            case ShowCardAction showCard:
                w.WriteString(Names.Type, Names.ShowCardAction);
                String(w, Names.Title, showCard.Title);
                if (showCard.Card is { } card)
                {
                    w.WritePropertyName(Names.Card);
                    WriteCard(w, card, options);
                }
                break;
            default:
                throw new NotSupportedException($"{action.GetType()} is not a card action the card writer knows.");
        }

        String(w, Names.Id, action.Id);
        String(w, Names.Tooltip, action.Tooltip);
        Bool(w, Names.IsEnabled, action.IsEnabled);
        Enum(w, Names.Mode, action.Mode);
        w.WriteEndObject();
    }

    // Facts and choices: both a list of {"title","value"}.
    private static void TitlesAndValues<T>(Utf8JsonWriter w, JsonEncodedText name, List<T>? items, Func<T, (string? Title, string? Value)> pair)
    {
        if (items is null) return;
        w.WriteStartArray(name);
        foreach (var item in items)
        {
            var (title, value) = pair(item);
            w.WriteStartObject();
            String(w, Names.Title, title);
            String(w, Names.Value, value);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    private static void Elements(Utf8JsonWriter w, JsonEncodedText name, List<CardElement>? elements, JsonSerializerOptions options)
    {
        if (elements is null) return;
        w.WriteStartArray(name);
        foreach (var element in elements) WriteElement(w, element, options);
        w.WriteEndArray();
    }

    private static void Actions(Utf8JsonWriter w, JsonEncodedText name, List<CardAction>? actions, JsonSerializerOptions options)
    {
        if (actions is null) return;
        w.WriteStartArray(name);
        foreach (var action in actions) WriteAction(w, action, options);
        w.WriteEndArray();
    }

    private static void Action(Utf8JsonWriter w, JsonEncodedText name, CardAction? action, JsonSerializerOptions options)
    {
        if (action is null) return;
        w.WritePropertyName(name);
        WriteAction(w, action, options);
    }

    // Action data is whatever the app put there (anonymous objects, dictionaries, JSON elements): its own type's converter
    // writes it, except the imBack data most buttons carry.
    private static void Data(Utf8JsonWriter w, object? data, JsonSerializerOptions options)
    {
        if (data is null) return;
        w.WritePropertyName(Names.Data);
        if (data is ImBackData imBack)
        {
            w.WriteStartObject();
            w.WriteStartObject(Names.MsTeams);
            w.WriteString(Names.Type, Names.ImBack);
            w.WriteString(Names.Value, imBack.MsTeams.Value);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        else
        {
            JsonSerializer.Serialize(w, data, data.GetType(), options);
        }
    }

    private static void String(Utf8JsonWriter w, JsonEncodedText name, string? value)
    {
        if (value is not null) w.WriteString(name, value);
    }

    private static void Bool(Utf8JsonWriter w, JsonEncodedText name, bool? value)
    {
        if (value is { } b) w.WriteBoolean(name, b);
    }

    private static void Int(Utf8JsonWriter w, JsonEncodedText name, int? value)
    {
        if (value is { } i) w.WriteNumber(name, i);
    }

    private static void Enum<TEnum>(Utf8JsonWriter w, JsonEncodedText name, TEnum? value) where TEnum : struct, Enum
    {
        if (value is { } v) w.WriteString(name, EnumNames<TEnum>.Of(v));
    }

    /// <summary>Each enum value as the enum's own converter spells it, asked once.</summary>
    private static class EnumNames<TEnum> where TEnum : struct, Enum
    {
        private static readonly Dictionary<TEnum, JsonEncodedText> Spelled = System.Enum.GetValues<TEnum>().ToDictionary(
            value => value,
            value => JsonEncodedText.Encode(JsonSerializer.SerializeToElement(value, ProtocolJson.MetadataOptions).GetString()!));

        public static JsonEncodedText Of(TEnum value) =>
            Spelled.TryGetValue(value, out var text) ? text : throw new JsonException($"{value} is not a {typeof(TEnum).Name} value cards can carry.");
    }

    private static class Names
    {
        public static readonly JsonEncodedText Type = JsonEncodedText.Encode("type");
        public static readonly JsonEncodedText Schema = JsonEncodedText.Encode("$schema");
        public static readonly JsonEncodedText Version = JsonEncodedText.Encode("version");
        public static readonly JsonEncodedText Refresh = JsonEncodedText.Encode("refresh");
        public static readonly JsonEncodedText Action = JsonEncodedText.Encode("action");
        public static readonly JsonEncodedText UserIds = JsonEncodedText.Encode("userIds");
        public static readonly JsonEncodedText Body = JsonEncodedText.Encode("body");
        public static readonly JsonEncodedText Actions = JsonEncodedText.Encode("actions");
        public static readonly JsonEncodedText SelectAction = JsonEncodedText.Encode("selectAction");
        public static readonly JsonEncodedText FallbackText = JsonEncodedText.Encode("fallbackText");
        public static readonly JsonEncodedText MsTeams = JsonEncodedText.Encode("msteams");
        public static readonly JsonEncodedText Width = JsonEncodedText.Encode("width");
        public static readonly JsonEncodedText Height = JsonEncodedText.Encode("height");
        public static readonly JsonEncodedText Entities = JsonEncodedText.Encode("entities");
        public static readonly JsonEncodedText Id = JsonEncodedText.Encode("id");
        public static readonly JsonEncodedText Spacing = JsonEncodedText.Encode("spacing");
        public static readonly JsonEncodedText Separator = JsonEncodedText.Encode("separator");
        public static readonly JsonEncodedText IsVisible = JsonEncodedText.Encode("isVisible");
        public static readonly JsonEncodedText Text = JsonEncodedText.Encode("text");
        public static readonly JsonEncodedText Wrap = JsonEncodedText.Encode("wrap");
        public static readonly JsonEncodedText Size = JsonEncodedText.Encode("size");
        public static readonly JsonEncodedText Weight = JsonEncodedText.Encode("weight");
        public static readonly JsonEncodedText Color = JsonEncodedText.Encode("color");
        public static readonly JsonEncodedText IsSubtle = JsonEncodedText.Encode("isSubtle");
        public static readonly JsonEncodedText MaxLines = JsonEncodedText.Encode("maxLines");
        public static readonly JsonEncodedText HorizontalAlignment = JsonEncodedText.Encode("horizontalAlignment");
        public static readonly JsonEncodedText VerticalContentAlignment = JsonEncodedText.Encode("verticalContentAlignment");
        public static readonly JsonEncodedText Style = JsonEncodedText.Encode("style");
        public static readonly JsonEncodedText Inlines = JsonEncodedText.Encode("inlines");
        public static readonly JsonEncodedText Italic = JsonEncodedText.Encode("italic");
        public static readonly JsonEncodedText Strikethrough = JsonEncodedText.Encode("strikethrough");
        public static readonly JsonEncodedText Facts = JsonEncodedText.Encode("facts");
        public static readonly JsonEncodedText Title = JsonEncodedText.Encode("title");
        public static readonly JsonEncodedText Value = JsonEncodedText.Encode("value");
        public static readonly JsonEncodedText Columns = JsonEncodedText.Encode("columns");
        public static readonly JsonEncodedText Items = JsonEncodedText.Encode("items");
        public static readonly JsonEncodedText Bleed = JsonEncodedText.Encode("bleed");
        public static readonly JsonEncodedText Url = JsonEncodedText.Encode("url");
        public static readonly JsonEncodedText AltText = JsonEncodedText.Encode("altText");
        public static readonly JsonEncodedText Placeholder = JsonEncodedText.Encode("placeholder");
        public static readonly JsonEncodedText IsMultiline = JsonEncodedText.Encode("isMultiline");
        public static readonly JsonEncodedText MaxLength = JsonEncodedText.Encode("maxLength");
        public static readonly JsonEncodedText Regex = JsonEncodedText.Encode("regex");
        public static readonly JsonEncodedText InlineAction = JsonEncodedText.Encode("inlineAction");
        public static readonly JsonEncodedText Label = JsonEncodedText.Encode("label");
        public static readonly JsonEncodedText IsRequired = JsonEncodedText.Encode("isRequired");
        public static readonly JsonEncodedText ErrorMessage = JsonEncodedText.Encode("errorMessage");
        public static readonly JsonEncodedText Choices = JsonEncodedText.Encode("choices");
        public static readonly JsonEncodedText IsMultiSelect = JsonEncodedText.Encode("isMultiSelect");
        public static readonly JsonEncodedText Tooltip = JsonEncodedText.Encode("tooltip");
        public static readonly JsonEncodedText IsEnabled = JsonEncodedText.Encode("isEnabled");
        public static readonly JsonEncodedText Mode = JsonEncodedText.Encode("mode");
        public static readonly JsonEncodedText Verb = JsonEncodedText.Encode("verb");
        public static readonly JsonEncodedText Data = JsonEncodedText.Encode("data");
        public static readonly JsonEncodedText AssociatedInputs = JsonEncodedText.Encode("associatedInputs");
        public static readonly JsonEncodedText Fallback = JsonEncodedText.Encode("fallback");
        public static readonly JsonEncodedText Card = JsonEncodedText.Encode("card");

        public static readonly JsonEncodedText ImBack = JsonEncodedText.Encode("imBack");
        public static readonly JsonEncodedText AdaptiveCard = JsonEncodedText.Encode("AdaptiveCard");
        public static readonly JsonEncodedText TextBlock = JsonEncodedText.Encode("TextBlock");
        public static readonly JsonEncodedText RichTextBlock = JsonEncodedText.Encode("RichTextBlock");
        public static readonly JsonEncodedText TextRun = JsonEncodedText.Encode("TextRun");
        public static readonly JsonEncodedText FactSet = JsonEncodedText.Encode("FactSet");
        public static readonly JsonEncodedText ColumnSet = JsonEncodedText.Encode("ColumnSet");
        public static readonly JsonEncodedText Column = JsonEncodedText.Encode("Column");
        public static readonly JsonEncodedText Container = JsonEncodedText.Encode("Container");
        public static readonly JsonEncodedText Image = JsonEncodedText.Encode("Image");
        public static readonly JsonEncodedText ActionSet = JsonEncodedText.Encode("ActionSet");
        public static readonly JsonEncodedText TextInput = JsonEncodedText.Encode("Input.Text");
        public static readonly JsonEncodedText ChoiceSetInput = JsonEncodedText.Encode("Input.ChoiceSet");
        public static readonly JsonEncodedText ExecuteAction = JsonEncodedText.Encode("Action.Execute");
        public static readonly JsonEncodedText SubmitAction = JsonEncodedText.Encode("Action.Submit");
        public static readonly JsonEncodedText OpenUrlAction = JsonEncodedText.Encode("Action.OpenUrl");
        public static readonly JsonEncodedText ShowCardAction = JsonEncodedText.Encode("Action.ShowCard");
    }
}
