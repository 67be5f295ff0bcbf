using System.Text.Json;
using System.Text.Json.Serialization;

namespace PorBot.Protocol.Cards;

/// <summary>
/// Writes card enums as the schema's camelCase strings ("extraLarge", "bolder"). Attached to each enum type,
/// because the shared <c>ProtocolJson.Options</c> have no global enum converter and must not get one.
/// </summary>
public sealed class CardEnumConverter<TEnum>() : JsonStringEnumConverter<TEnum>(JsonNamingPolicy.CamelCase, allowIntegerValues: false)
    where TEnum : struct, Enum;

[JsonConverter(typeof(CardEnumConverter<TextSize>))]
public enum TextSize { Default, Small, Medium, Large, ExtraLarge }

[JsonConverter(typeof(CardEnumConverter<TextWeight>))]
public enum TextWeight { Default, Lighter, Bolder }

/// <summary>The schema's <c>Colors</c>.</summary>
[JsonConverter(typeof(CardEnumConverter<TextColor>))]
public enum TextColor { Default, Dark, Light, Accent, Good, Warning, Attention }

[JsonConverter(typeof(CardEnumConverter<HorizontalAlignment>))]
public enum HorizontalAlignment { Left, Center, Right }

[JsonConverter(typeof(CardEnumConverter<VerticalContentAlignment>))]
public enum VerticalContentAlignment { Top, Center, Bottom }

[JsonConverter(typeof(CardEnumConverter<TextBlockStyle>))]
public enum TextBlockStyle { Default, Heading }

[JsonConverter(typeof(CardEnumConverter<Spacing>))]
public enum Spacing { Default, None, Small, Medium, Large, ExtraLarge, Padding }

[JsonConverter(typeof(CardEnumConverter<ContainerStyle>))]
public enum ContainerStyle { Default, Emphasis, Good, Attention, Warning, Accent }

[JsonConverter(typeof(CardEnumConverter<ImageSize>))]
public enum ImageSize { Auto, Stretch, Small, Medium, Large }

[JsonConverter(typeof(CardEnumConverter<ImageStyle>))]
public enum ImageStyle { Default, Person }

[JsonConverter(typeof(CardEnumConverter<TextInputStyle>))]
public enum TextInputStyle { Text, Tel, Url, Email, Password }

/// <summary>Teams' typeahead style "filtered" is left out on purpose: the 1.5 schema rejects it.</summary>
[JsonConverter(typeof(CardEnumConverter<ChoiceInputStyle>))]
public enum ChoiceInputStyle { Compact, Expanded }

/// <summary>Teams shows at most 6 primary actions; the rest go to the overflow menu.</summary>
[JsonConverter(typeof(CardEnumConverter<ActionMode>))]
public enum ActionMode { Primary, Secondary }

/// <summary>The one enum the schema spells in PascalCase ("Auto", "None").</summary>
[JsonConverter(typeof(JsonStringEnumConverter<AssociatedInputs>))]
public enum AssociatedInputs { Auto, None }
