using System.Collections;
using System.Reflection;
using System.Text.Json;
using PorBot.Protocol.Activities;
using PorBot.Protocol.Cards;

namespace PorBot.Protocol.Tests.Cards;

/// <summary>
/// Cards go on the wire through a hand-written writer; these hold it to what System.Text.Json's metadata
/// serializer writes for the same card, byte for byte: property order, nulls left out, escaping.
/// </summary>
public class CardJsonWriterTests
{
    [Fact]
    public void KitchenSink_WrittenByTheCardWriter_IsByteForByteTheMetadataSerializersJson()
    {
        var card = KitchenSinkCard.Build();

        Assert.Equal(JsonSerializer.Serialize(card, ProtocolJson.MetadataOptions), ProtocolJson.Serialize(card));
    }

    [Fact]
    public void EveryPropertyOfEveryCardType_Set_IsWrittenAsTheMetadataSerializerWritesIt()
    {
        var filler = new EveryProperty();
        var card = filler.Fill(new AdaptiveCard());
        foreach (var type in ConcreteSubtypes(typeof(CardElement))) card.Body.Add((CardElement)filler.Create(type));
        card.Actions = [.. ConcreteSubtypes(typeof(CardAction)).Select(t => (CardAction)filler.Create(t))];

        var expected = JsonSerializer.Serialize(card, ProtocolJson.MetadataOptions);

        Assert.Equal(expected, ProtocolJson.Serialize(card));
        // The card really has every property set: each settable property of each card type shows up in it.
        var written = PropertyNames(JsonDocument.Parse(expected).RootElement);
        var declared = CardTypes().SelectMany(t => t.GetProperties(BindingFlags.Public | BindingFlags.Instance))
            .Where(p => p.GetCustomAttribute<System.Text.Json.Serialization.JsonIgnoreAttribute>() is null)
            .Select(p => p.GetCustomAttribute<System.Text.Json.Serialization.JsonPropertyNameAttribute>()?.Name ?? JsonNamingPolicy.CamelCase.ConvertName(p.Name));
        Assert.Empty(declared.Except(written));
    }

    [Fact]
    public void CardAsAttachmentContent_InAnActivity_IsWrittenAsTheMetadataSerializerWritesIt()
    {
        var reply = Activity.CreateMessage("See the card");
        reply.Attachments = [KitchenSinkCard.Build().ToAttachment()];

        Assert.Equal(JsonSerializer.Serialize(reply, ProtocolJson.MetadataOptions), ProtocolJson.Serialize(reply));
    }

    [Fact]
    public void ImBackButton_IsWrittenAsTeamsImBackData_LikeTheMetadataSerializerWritesIt()
    {
        var card = new AdaptiveCard().AddActionSet(SubmitAction.ImBack("Look up \"Contoso\"", "lookup contoso.com <é>"));

        var json = ProtocolJson.Serialize(card);

        Assert.Equal(JsonSerializer.Serialize(card, ProtocolJson.MetadataOptions), json);
        var data = JsonDocument.Parse(json).RootElement.GetProperty("body")[0].GetProperty("actions")[0].GetProperty("data");
        Assert.Equal(["msteams"], data.EnumerateObject().Select(p => p.Name));
        Assert.Equal(["type", "value"], data.GetProperty("msteams").EnumerateObject().Select(p => p.Name));
        Assert.Equal("imBack", data.GetProperty("msteams").GetProperty("type").GetString());
        Assert.Equal("lookup contoso.com <é>", data.GetProperty("msteams").GetProperty("value").GetString());
    }

    [Fact]
    public void Serialize_EnumValueCardsDoNotKnow_FailsLikeTheMetadataSerializer()
    {
        var card = new AdaptiveCard().AddText("x", size: (TextSize)42);

        Assert.Throws<JsonException>(() => JsonSerializer.Serialize(card, ProtocolJson.MetadataOptions));
        Assert.Throws<JsonException>(() => ProtocolJson.Serialize(card));
    }

    private static IEnumerable<Type> CardTypes() =>
        typeof(AdaptiveCard).Assembly.GetTypes().Where(t => t.Namespace == typeof(AdaptiveCard).Namespace && t.IsClass && !t.IsAbstract && t.IsPublic
            && t.GetProperties().Any(p => p.CanWrite) && !typeof(Delegate).IsAssignableFrom(t));

    private static IEnumerable<Type> ConcreteSubtypes(Type baseType) =>
        typeof(AdaptiveCard).Assembly.GetTypes().Where(t => t.IsSubclassOf(baseType) && !t.IsAbstract).OrderBy(t => t.Name, StringComparer.Ordinal);

    private static HashSet<string> PropertyNames(JsonElement element)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        Collect(element);
        return names;

        void Collect(JsonElement e)
        {
            if (e.ValueKind == JsonValueKind.Object)
            {
                foreach (var property in e.EnumerateObject())
                {
                    names.Add(property.Name);
                    Collect(property.Value);
                }
            }
            else if (e.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in e.EnumerateArray()) Collect(item);
            }
        }
    }

    /// <summary>Builds card objects with every settable property given a value that is not the default.</summary>
    private sealed class EveryProperty
    {
        private int _depth;

        public object Create(Type type)
        {
            var instance = type == typeof(Image) ? new Image("https://example.com/i.png")
                : type == typeof(OpenUrlAction) ? new OpenUrlAction("Open", "https://example.com/")
                : type == typeof(ShowCardAction) ? new ShowCardAction("Show", new AdaptiveCard().AddText("Shown"))
                : type == typeof(TextBlock) ? new TextBlock("Text")
                : type == typeof(TextRun) ? new TextRun("Run")
                : type == typeof(TextInput) ? new TextInput("text-input")
                : type == typeof(ChoiceSetInput) ? new ChoiceSetInput("choice-input", new Choice("One", "1"))
                : Activator.CreateInstance(type)!;
            return Fill(instance);
        }

        public T Fill<T>(T instance) where T : notnull
        {
            _depth++;
            try
            {
                foreach (var property in instance.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.SetMethod is { IsPublic: true }))
                {
                    if (ValueFor(property, instance) is { } value) property.SetValue(instance, value);
                }
                return instance;
            }
            finally
            {
                _depth--;
            }
        }

        private object? ValueFor(PropertyInfo property, object owner)
        {
            var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            var nested = _depth < 3;
            if (type == typeof(string)) return property.Name is "Url" ? "https://example.com/" + owner.GetType().Name : $"{owner.GetType().Name}.{property.Name} <é>";
            if (type == typeof(bool)) return true;
            if (type == typeof(int)) return 7;
            if (type.IsEnum) return Enum.GetValues(type).GetValue(Enum.GetValues(type).Length - 1);
            if (type == typeof(ColumnWidth)) return ColumnWidth.Weight(2.5);
            if (type == typeof(object)) return new { kind = "data", n = 1 };
            if (!nested) return null;
            if (type == typeof(CardAction)) return Create(typeof(SubmitAction));
            if (type == typeof(AdaptiveCard)) return new AdaptiveCard().AddText("Inner");
            if (type == typeof(CardRefresh)) return new CardRefresh(new ExecuteAction("Refresh", "refresh", new { x = 1 }), ["29:a", "29:b"]);
            if (type == typeof(TeamsCardProperties))
            {
                return new TeamsCardProperties { Width = TeamsCardProperties.FullWidth, Entities = [new Entity { Type = "mention", Text = "<at>A</at>", Mentioned = new ChannelAccount { Id = "29:a", Name = "A" } }] };
            }
            if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>))
            {
                var item = type.GetGenericArguments()[0];
                var list = (IList)Activator.CreateInstance(type)!;
                if (item == typeof(CardElement)) list.Add(Create(typeof(TextBlock)));
                else if (item == typeof(CardAction)) list.Add(Create(typeof(ExecuteAction)));
                else if (item == typeof(Fact)) list.Add(new Fact("Fact title", "Fact value"));
                else if (item == typeof(Choice)) list.Add(new Choice("Choice", "c"));
                else if (item == typeof(Entity)) return null;
                else list.Add(Create(item));
                return list;
            }
            return null;
        }
    }
}
