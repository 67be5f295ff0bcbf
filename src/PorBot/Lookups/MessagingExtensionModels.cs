using System.Text.Json.Serialization;
using PorBot.Protocol.Activities;

namespace PorBot.Lookups;

// The answer shapes of composeExtension/query and composeExtension/selectItem (bot-protocol.md §5.4,
// Teams schema MessagingExtension*.cs). Kept here until a second message extension needs them in the protocol layer.

/// <summary>The invoke response body: <c>{ "composeExtension": { … } }</c>.</summary>
public sealed class MessagingExtensionResponse
{
    public required MessagingExtensionResult ComposeExtension { get; init; }

    public static MessagingExtensionResponse Message(string text) =>
        new() { ComposeExtension = new MessagingExtensionResult { Type = MessagingExtensionResult.MessageType, Text = text } };

    public static MessagingExtensionResponse Results(IEnumerable<MessagingExtensionAttachment> attachments) =>
        new() { ComposeExtension = new MessagingExtensionResult { Type = MessagingExtensionResult.ResultType, AttachmentLayout = "list", Attachments = [.. attachments] } };
}

public sealed class MessagingExtensionResult
{
    public const string ResultType = "result";

    /// <summary>Plain text shown in place of results (no formatting).</summary>
    public const string MessageType = "message";

    public required string Type { get; init; }
    public string? AttachmentLayout { get; init; }
    public List<MessagingExtensionAttachment>? Attachments { get; init; }
    public string? Text { get; init; }
}

/// <summary>A result: the card inserted into the message, and the preview the result list shows (required for Adaptive Cards).</summary>
public sealed class MessagingExtensionAttachment
{
    public string ContentType { get; init; } = Attachment.AdaptiveCardContentType;
    public required object Content { get; init; }
    public MessagingExtensionPreview? Preview { get; init; }
}

public sealed class MessagingExtensionPreview
{
    public string ContentType { get; init; } = Attachment.ThumbnailCardContentType;
    public required ThumbnailCardContent Content { get; init; }
}

/// <summary>A thumbnail card. Teams reads <see cref="Title"/> and <see cref="Text"/> as HTML: callers must HTML-encode them.</summary>
public sealed class ThumbnailCardContent
{
    public string? Title { get; init; }
    public string? Text { get; init; }

    /// <summary>In previews only an <c>invoke</c> tap works: it sends <c>composeExtension/selectItem</c> with <see cref="CardTap.Value"/>.</summary>
    public CardTap? Tap { get; init; }
}

public sealed class CardTap
{
    public string Type { get; init; } = "invoke";
    public object? Value { get; init; }
}

/// <summary>What a preview's tap sends back to selectItem: the lookup to run again, under the access rules of whoever picks it.</summary>
public sealed class LookupSelection
{
    [JsonPropertyName("lookup")]
    public string? Lookup { get; init; }
}
