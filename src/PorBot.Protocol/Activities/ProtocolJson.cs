using System.Text.Json;
using System.Text.Json.Serialization;
using PorBot.Protocol.Cards;

namespace PorBot.Protocol.Activities;

/// <summary>
/// The one set of JSON options for everything on the wire: camelCase out, case-insensitive in,
/// nulls omitted, depth 128 (deep cards exceed System.Text.Json's 64), unknown fields kept in
/// each model's extension data. Reading and writing must share it, or depth limits differ.
/// Cards are written by a hand-written writer (<see cref="CardJsonWriter"/>) that gives the same JSON as the metadata serializer.
/// </summary>
public static class ProtocolJson
{
    public const int MaxDepth = 128;

    public static JsonSerializerOptions Options { get; } = Create(cardWriter: true);

    /// <summary>The same options with cards on System.Text.Json's metadata path: how cards are read, and what the card writer is held to.</summary>
    internal static JsonSerializerOptions MetadataOptions { get; } = Create(cardWriter: false);

    public static JsonDocumentOptions DocumentOptions { get; } = new() { MaxDepth = MaxDepth };

    private static JsonSerializerOptions Create(bool cardWriter)
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            MaxDepth = MaxDepth,
        };
        if (cardWriter) options.Converters.Add(new AdaptiveCardJsonConverter());
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);

    public static T? Deserialize<T>(string json) => JsonSerializer.Deserialize<T>(json, Options);

    /// <summary>Converts an open JSON value (activity.value, card data) into a typed object, or default.</summary>
    public static T? ToObject<T>(this JsonElement? element) =>
        element is { ValueKind: not JsonValueKind.Undefined and not JsonValueKind.Null } e
            ? e.Deserialize<T>(Options)
            : default;

    public static JsonElement ToElement<T>(T value) => JsonSerializer.SerializeToElement(value, Options);
}
