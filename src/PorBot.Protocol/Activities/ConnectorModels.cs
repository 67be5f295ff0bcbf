using System.Text.Json;
using System.Text.Json.Serialization;
using PorBot.Protocol.Cards;

namespace PorBot.Protocol.Activities;

/// <summary>What the connector returns for a sent or updated activity: the handle for later updates.</summary>
public sealed class ResourceResponse
{
    public string? Id { get; set; }
}

public sealed class ConversationParameters
{
    public bool? IsGroup { get; set; }
    public ChannelAccount? Bot { get; set; }
    public List<ChannelAccount>? Members { get; set; }
    public string? TopicName { get; set; }
    public Activity? Activity { get; set; }
    public JsonElement? ChannelData { get; set; }
    public string? TenantId { get; set; }
}

public sealed class ConversationResourceResponse
{
    public string? Id { get; set; }
    public string? ActivityId { get; set; }
    public string? ServiceUrl { get; set; }
}

/// <summary>The answer to an invoke activity; written as the HTTP status and body of the same POST.</summary>
public sealed class InvokeResponse
{
    public int Status { get; init; } = 200;
    public object? Body { get; init; }

    public static InvokeResponse Ok(object? body = null) => new() { Status = 200, Body = body };

    public static InvokeResponse NotImplemented() => new() { Status = 501 };

    public static InvokeResponse BadRequest(string message) => Error("BadRequest", message);

    /// <summary>A well-formed request the bot does not handle (another action type, an unknown verb): HTTP 400, as the SDK answers.</summary>
    public static InvokeResponse NotSupported(string message) => Error("NotSupported", message);

    /// <summary>Universal Actions: <paramref name="card"/> replaces the card in the clicking user's client.</summary>
    public static InvokeResponse ReplaceCard(AdaptiveCard card)
    {
        ArgumentNullException.ThrowIfNull(card);
        return Ok(new AdaptiveCardInvokeResponse { Type = AdaptiveCardInvokeResponse.CardType, Value = card });
    }

    /// <summary>Universal Actions: a short text shown to the clicking user; the card stays as it is.</summary>
    public static InvokeResponse ShowMessage(string text)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        return Ok(new AdaptiveCardInvokeResponse { Type = AdaptiveCardInvokeResponse.MessageType, Value = text });
    }

    private static InvokeResponse Error(string code, string message) => new()
    {
        Status = 400,
        Body = new AdaptiveCardInvokeResponse
        {
            StatusCode = 400,
            Type = AdaptiveCardInvokeResponse.ErrorType,
            Value = new InvokeError { Code = code, Message = message },
        },
    };
}

/// <summary>The body of an <c>adaptiveCard/action</c> answer (Universal Actions).</summary>
public sealed class AdaptiveCardInvokeResponse
{
    public const string CardType = "application/vnd.microsoft.card.adaptive";
    public const string MessageType = "application/vnd.microsoft.activity.message";
    public const string ErrorType = "application/vnd.microsoft.error";

    public int StatusCode { get; init; } = 200;
    public string? Type { get; init; }
    public object? Value { get; init; }
}

public sealed class InvokeError
{
    public string? Code { get; init; }
    public string? Message { get; init; }
}

/// <summary>The value of an <c>adaptiveCard/action</c> invoke.</summary>
public sealed class AdaptiveCardInvokeValue
{
    public AdaptiveCardInvokeAction? Action { get; set; }
    public string? Trigger { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }
}

public sealed class AdaptiveCardInvokeAction
{
    public string? Type { get; set; }
    public string? Id { get; set; }
    public string? Verb { get; set; }
    public JsonElement? Data { get; set; }
}

/// <summary>The value of a <c>composeExtension/query</c> invoke.</summary>
public sealed class MessagingExtensionQuery
{
    public string? CommandId { get; set; }
    public List<MessagingExtensionParameter>? Parameters { get; set; }
    public MessagingExtensionQueryOptions? QueryOptions { get; set; }
    public string? State { get; set; }
}

public sealed class MessagingExtensionParameter
{
    public string? Name { get; set; }
    public JsonElement? Value { get; set; }
}

public sealed class MessagingExtensionQueryOptions
{
    public int? Skip { get; set; }
    public int? Count { get; set; }
}
