using System.Collections;
using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using PorBot.Protocol.Activities;
using PorBot.Protocol.Cards;

namespace PorBot.Protocol.Tests.Activities;

/// <summary>Replies are written by a hand-written writer; it must give exactly the serializer's bytes.</summary>
public class ActivityJsonWriterTests
{
    [Fact]
    public void EveryPropertyOfAnActivity_Set_IsWrittenAsTheSerializerWritesIt()
    {
        var activity = (Activity)new EveryProperty().Create(typeof(Activity));

        var expected = ProtocolJson.Serialize(activity);

        Assert.Equal(expected, Encoding.UTF8.GetString(ActivityJsonWriter.ToUtf8Bytes(activity)));
        var written = JsonDocument.Parse(expected).RootElement.EnumerateObject().Select(p => p.Name).ToHashSet();
        var declared = typeof(Activity).GetProperties().Where(p => p.GetCustomAttribute<JsonIgnoreAttribute>() is null && p.GetCustomAttribute<JsonExtensionDataAttribute>() is null)
            .Select(p => JsonNamingPolicy.CamelCase.ConvertName(p.Name));
        Assert.Empty(declared.Except(written));
        Assert.Contains("futureField", written);
    }

    [Fact]
    public void AReplyWithACard_IsWrittenAsTheSerializerWritesIt()
    {
        var reply = new Activity
        {
            Type = ActivityTypes.Message,
            From = new ChannelAccount { Id = "28:bot", Name = "PorBot" },
            Conversation = new ConversationAccount { Id = "a:1", TenantId = "t", ConversationType = "personal" },
            Recipient = new ChannelAccount { Id = "29:user", Name = "Megan <Bowen> & co", AadObjectId = "a-b" },
            Locale = "en-US",
            Attachments = [new AdaptiveCard().AddText("Prix € 12 « net »").AddActionSet(SubmitAction.ImBack("Help", "help")).ToAttachment()],
            ReplyToId = "1485983408511",
        };

        Assert.Equal(ProtocolJson.Serialize(reply), Encoding.UTF8.GetString(ActivityJsonWriter.ToUtf8Bytes(reply)));
    }

    [Fact]
    public void ToUtf8Bytes_ALargeReplyThenASmallOne_EachWrittenWhole()
    {
        var large = Activity.CreateMessage(new string('x', 200_000));
        var small = Activity.CreateMessage("small");

        Assert.Equal(ProtocolJson.Serialize(large), Encoding.UTF8.GetString(ActivityJsonWriter.ToUtf8Bytes(large)));
        Assert.Equal("""{"type":"message","text":"small"}""", Encoding.UTF8.GetString(ActivityJsonWriter.ToUtf8Bytes(small)));
    }

    /// <summary>Activity-model objects with every settable property given a value, extension data included.</summary>
    private sealed class EveryProperty
    {
        private int _depth;

        public object Create(Type type)
        {
            var instance = Activator.CreateInstance(type)!;
            _depth++;
            try
            {
                foreach (var property in type.GetProperties().Where(p => p.SetMethod is { IsPublic: true }))
                {
                    if (ValueFor(property, type) is { } value) property.SetValue(instance, value);
                }
            }
            finally
            {
                _depth--;
            }
            return instance;
        }

        private object? ValueFor(PropertyInfo property, Type owner)
        {
            var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            if (property.GetCustomAttribute<JsonExtensionDataAttribute>() is not null)
            {
                return new Dictionary<string, JsonElement>
                {
                    ["futureField"] = JsonDocument.Parse("""{"deep":[1,2,"<x>"]}""").RootElement,
                    ["nothing"] = JsonDocument.Parse("null").RootElement,
                };
            }
            if (type == typeof(string)) return $"{owner.Name}.{property.Name} <é & \"q\">";
            if (type == typeof(bool)) return true;
            if (type == typeof(DateTimeOffset)) return new DateTimeOffset(2026, 11, 28, 9, 30, 15, 123, TimeSpan.FromHours(1));
            if (type == typeof(JsonElement)) return JsonDocument.Parse("""{"tenant":{"id":"t-1"},"n":1.5}""").RootElement;
            if (type == typeof(object)) return owner == typeof(Attachment) ? new AdaptiveCard().AddText("Card") : new { kind = "value" };
            if (_depth > 2) return null;
            if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>))
            {
                var list = (IList)Activator.CreateInstance(type)!;
                var item = type.GetGenericArguments()[0];
                list.Add(item == typeof(string) ? "29:someone" : Create(item));
                return list;
            }
            return type.IsClass && type.Namespace == typeof(Activity).Namespace ? Create(type) : null;
        }
    }
}
