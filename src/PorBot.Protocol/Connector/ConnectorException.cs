using System.Net;

namespace PorBot.Protocol.Connector;

/// <summary>
/// A failed connector call, with what the service said: HTTP status, error code and message, and the
/// correlation id Microsoft support asks for.
/// </summary>
public sealed class ConnectorException : Exception
{
    public ConnectorException(string message, HttpStatusCode? statusCode, string? errorCode, string? correlationId, Exception? inner = null)
        : base(message, inner)
    {
        StatusCode = statusCode;
        ErrorCode = errorCode;
        CorrelationId = correlationId;
    }

    public ConnectorException() : base("Connector call failed.") { }

    public ConnectorException(string message) : base(message) { }

    public ConnectorException(string message, Exception inner) : base(message, inner) { }

    /// <summary>Null when no HTTP answer came back (network failure, timeout, refused serviceUrl).</summary>
    public HttpStatusCode? StatusCode { get; }

    public string? ErrorCode { get; }

    public string? CorrelationId { get; }

    /// <summary>
    /// How long the service asked the caller to wait (its <c>Retry-After</c>, as a delay or a date), when the last
    /// answer carried one. A caller with its own retry schedule (a durable outbox) should not call again sooner.
    /// </summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>403 or 404: the bot was removed or blocked, or the conversation is gone. Retrying will not help.</summary>
    public bool IsConversationGone => StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.NotFound;
}
