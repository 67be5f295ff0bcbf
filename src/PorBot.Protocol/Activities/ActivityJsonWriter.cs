using System.Buffers;
using System.Text.Json;

namespace PorBot.Protocol.Activities;

/// <summary>
/// Writes an outgoing activity straight to UTF-8 JSON, the same bytes as <c>ProtocolJson.Serialize</c>
/// (declared order, nulls left out, extension data last): every reply goes through here, and the metadata path
/// cost more than the rest of what a reply's JSON needs (bench/optimisations.md). Rare parts (entities,
/// suggested actions, reactions) and attachment content (cards: <see cref="Cards.CardJsonWriter"/>) go back to the
/// serializer. <c>ActivityJsonWriterTests</c> holds it to the metadata serializer for every property.
/// </summary>
internal static class ActivityJsonWriter
{
    // Most replies are a few KB; a buffer that grew for an unusually large one is not kept.
    private const int MaxKeptBuffer = 64 * 1024;

    [ThreadStatic] private static ArrayBufferWriter<byte>? t_buffer;
    [ThreadStatic] private static Utf8JsonWriter? t_writer;

    // Synchronous from start to end, and nothing it calls comes back here: one buffer and writer per thread suffice.
    // Always the wire options, which the per-thread writer was made with.
    public static byte[] ToUtf8Bytes(Activity activity)
    {
        var options = ProtocolJson.Options;
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(8 * 1024);
        var writer = t_writer ??= new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = options.Encoder, MaxDepth = options.MaxDepth });
        buffer.ResetWrittenCount();
        writer.Reset(buffer);
        Write(writer, activity, options);
        writer.Flush();
        var bytes = buffer.WrittenSpan.ToArray();
        if (buffer.Capacity > MaxKeptBuffer)
        {
            t_buffer = null;
            t_writer = null;
        }
        return bytes;
    }

    public static void Write(Utf8JsonWriter w, Activity a, JsonSerializerOptions options)
    {
        w.WriteStartObject();
        String(w, Names.Type, a.Type);
        String(w, Names.Id, a.Id);
        if (a.Timestamp is { } timestamp) w.WriteString(Names.Timestamp, timestamp);
        if (a.LocalTimestamp is { } localTimestamp) w.WriteString(Names.LocalTimestamp, localTimestamp);
        String(w, Names.ServiceUrl, a.ServiceUrl);
        String(w, Names.ChannelId, a.ChannelId);
        Account(w, Names.From, a.From);
        if (a.Conversation is { } conversation)
        {
            w.WriteStartObject(Names.Conversation);
            if (conversation.IsGroup is { } isGroup) w.WriteBoolean(Names.IsGroup, isGroup);
            String(w, Names.ConversationType, conversation.ConversationType);
            String(w, Names.Id, conversation.Id);
            String(w, Names.Name, conversation.Name);
            String(w, Names.AadObjectId, conversation.AadObjectId);
            String(w, Names.Role, conversation.Role);
            String(w, Names.TenantId, conversation.TenantId);
            Extra(w, conversation.Extra);
            w.WriteEndObject();
        }
        Account(w, Names.Recipient, a.Recipient);
        String(w, Names.TextFormat, a.TextFormat);
        String(w, Names.AttachmentLayout, a.AttachmentLayout);
        Accounts(w, Names.MembersAdded, a.MembersAdded);
        Accounts(w, Names.MembersRemoved, a.MembersRemoved);
        Serialized(w, Names.ReactionsAdded, a.ReactionsAdded, options);
        Serialized(w, Names.ReactionsRemoved, a.ReactionsRemoved, options);
        String(w, Names.Locale, a.Locale);
        String(w, Names.Text, a.Text);
        String(w, Names.Summary, a.Summary);
        Serialized(w, Names.SuggestedActions, a.SuggestedActions, options);
        if (a.Attachments is { } attachments)
        {
            w.WriteStartArray(Names.Attachments);
            foreach (var attachment in attachments) WriteAttachment(w, attachment, options);
            w.WriteEndArray();
        }
        Serialized(w, Names.Entities, a.Entities, options);
        Element(w, Names.ChannelData, a.ChannelData);
        String(w, Names.Action, a.Action);
        String(w, Names.ReplyToId, a.ReplyToId);
        Element(w, Names.Value, a.Value);
        String(w, Names.Name, a.Name);
        Serialized(w, Names.RelatesTo, a.RelatesTo, options);
        Extra(w, a.Extra);
        w.WriteEndObject();
    }

    private static void WriteAttachment(Utf8JsonWriter w, Attachment? attachment, JsonSerializerOptions options)
    {
        if (attachment is null)
        {
            w.WriteNullValue();
            return;
        }

        w.WriteStartObject();
        String(w, Names.ContentType, attachment.ContentType);
        String(w, Names.ContentUrl, attachment.ContentUrl);
        if (attachment.Content is { } content)
        {
            w.WritePropertyName(Names.Content);
            JsonSerializer.Serialize(w, content, content.GetType(), options);
        }
        String(w, Names.Name, attachment.Name);
        String(w, Names.ThumbnailUrl, attachment.ThumbnailUrl);
        Extra(w, attachment.Extra);
        w.WriteEndObject();
    }

    private static void Account(Utf8JsonWriter w, JsonEncodedText name, ChannelAccount? account)
    {
        if (account is null) return;
        w.WritePropertyName(name);
        AccountValue(w, account);
    }

    private static void Accounts(Utf8JsonWriter w, JsonEncodedText name, List<ChannelAccount>? accounts)
    {
        if (accounts is null) return;
        w.WriteStartArray(name);
        foreach (var account in accounts)
        {
            if (account is null) w.WriteNullValue();
            else AccountValue(w, account);
        }
        w.WriteEndArray();
    }

    private static void AccountValue(Utf8JsonWriter w, ChannelAccount account)
    {
        w.WriteStartObject();
        String(w, Names.Id, account.Id);
        String(w, Names.Name, account.Name);
        String(w, Names.AadObjectId, account.AadObjectId);
        String(w, Names.Role, account.Role);
        Extra(w, account.Extra);
        w.WriteEndObject();
    }

    private static void Serialized<T>(Utf8JsonWriter w, JsonEncodedText name, T? value, JsonSerializerOptions options) where T : class
    {
        if (value is null) return;
        w.WritePropertyName(name);
        JsonSerializer.Serialize(w, value, options);
    }

    private static void Element(Utf8JsonWriter w, JsonEncodedText name, JsonElement? value)
    {
        if (value is not { } element) return;
        w.WritePropertyName(name);
        element.WriteTo(w);
    }

    // What the serializer does with [JsonExtensionData]: each entry as a property, after the declared ones, its name as it came.
    private static void Extra(Utf8JsonWriter w, Dictionary<string, JsonElement>? extra)
    {
        if (extra is null) return;
        foreach (var (name, value) in extra)
        {
            w.WritePropertyName(name);
            value.WriteTo(w);
        }
    }

    private static void String(Utf8JsonWriter w, JsonEncodedText name, string? value)
    {
        if (value is not null) w.WriteString(name, value);
    }

    private static class Names
    {
        public static readonly JsonEncodedText Type = JsonEncodedText.Encode("type");
        public static readonly JsonEncodedText Id = JsonEncodedText.Encode("id");
        public static readonly JsonEncodedText Timestamp = JsonEncodedText.Encode("timestamp");
        public static readonly JsonEncodedText LocalTimestamp = JsonEncodedText.Encode("localTimestamp");
        public static readonly JsonEncodedText ServiceUrl = JsonEncodedText.Encode("serviceUrl");
        public static readonly JsonEncodedText ChannelId = JsonEncodedText.Encode("channelId");
        public static readonly JsonEncodedText From = JsonEncodedText.Encode("from");
        public static readonly JsonEncodedText Conversation = JsonEncodedText.Encode("conversation");
        public static readonly JsonEncodedText Recipient = JsonEncodedText.Encode("recipient");
        public static readonly JsonEncodedText TextFormat = JsonEncodedText.Encode("textFormat");
        public static readonly JsonEncodedText AttachmentLayout = JsonEncodedText.Encode("attachmentLayout");
        public static readonly JsonEncodedText MembersAdded = JsonEncodedText.Encode("membersAdded");
        public static readonly JsonEncodedText MembersRemoved = JsonEncodedText.Encode("membersRemoved");
        public static readonly JsonEncodedText ReactionsAdded = JsonEncodedText.Encode("reactionsAdded");
        public static readonly JsonEncodedText ReactionsRemoved = JsonEncodedText.Encode("reactionsRemoved");
        public static readonly JsonEncodedText Locale = JsonEncodedText.Encode("locale");
        public static readonly JsonEncodedText Text = JsonEncodedText.Encode("text");
        public static readonly JsonEncodedText Summary = JsonEncodedText.Encode("summary");
        public static readonly JsonEncodedText SuggestedActions = JsonEncodedText.Encode("suggestedActions");
        public static readonly JsonEncodedText Attachments = JsonEncodedText.Encode("attachments");
        public static readonly JsonEncodedText Entities = JsonEncodedText.Encode("entities");
        public static readonly JsonEncodedText ChannelData = JsonEncodedText.Encode("channelData");
        public static readonly JsonEncodedText Action = JsonEncodedText.Encode("action");
        public static readonly JsonEncodedText ReplyToId = JsonEncodedText.Encode("replyToId");
        public static readonly JsonEncodedText Value = JsonEncodedText.Encode("value");
        public static readonly JsonEncodedText Name = JsonEncodedText.Encode("name");
        public static readonly JsonEncodedText RelatesTo = JsonEncodedText.Encode("relatesTo");
        public static readonly JsonEncodedText IsGroup = JsonEncodedText.Encode("isGroup");
        public static readonly JsonEncodedText ConversationType = JsonEncodedText.Encode("conversationType");
        public static readonly JsonEncodedText AadObjectId = JsonEncodedText.Encode("aadObjectId");
        public static readonly JsonEncodedText Role = JsonEncodedText.Encode("role");
        public static readonly JsonEncodedText TenantId = JsonEncodedText.Encode("tenantId");
        public static readonly JsonEncodedText ContentType = JsonEncodedText.Encode("contentType");
        public static readonly JsonEncodedText ContentUrl = JsonEncodedText.Encode("contentUrl");
        public static readonly JsonEncodedText Content = JsonEncodedText.Encode("content");
        public static readonly JsonEncodedText ThumbnailUrl = JsonEncodedText.Encode("thumbnailUrl");
    }
}
