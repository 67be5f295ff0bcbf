using System.Net;
using System.Net.Http.Headers;

namespace PorBot.Protocol.Connector;

/// <summary>
/// When and how long the connector client waits before trying a call again. Teams asks for
/// exponential backoff with random jitter on 429/412/502/504 (bot-protocol.md §5.8).
/// </summary>
internal sealed class ConnectorRetryPolicy
{
    public static ConnectorRetryPolicy Default { get; } = new();

    public int MaxRetries { get; init; } = 3;

    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromSeconds(1);

    public double BackoffFactor { get; init; } = 2;

    /// <summary>±fraction applied to the computed backoff so many throttled senders do not retry in lock-step.</summary>
    public double JitterFraction { get; init; } = 0.2;

    /// <summary>Upper bound for any single wait, also for a server's Retry-After.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How the client waits; tests replace it to record the delays instead of sleeping.</summary>
    public Func<TimeSpan, CancellationToken, Task> Delay { get; init; } = Task.Delay;

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>The same waits, but no retries: the first answer is final.</summary>
    public ConnectorRetryPolicy WithoutRetries() => new()
    {
        MaxRetries = 0,
        BaseDelay = BaseDelay,
        BackoffFactor = BackoffFactor,
        JitterFraction = JitterFraction,
        MaxDelay = MaxDelay,
        Delay = Delay,
        TimeProvider = TimeProvider,
    };

    /// <summary>What the server asked for, unclamped: a delay, or a date turned into the delay from now (never negative).</summary>
    public TimeSpan? RequestedDelay(RetryConditionHeaderValue? retryAfter)
    {
        if (retryAfter is null) return null;
        TimeSpan? asked = retryAfter.Delta ?? (retryAfter.Date is { } date ? date - TimeProvider.GetUtcNow() : null);
        return asked < TimeSpan.Zero ? TimeSpan.Zero : asked;
    }

    /// <summary>
    /// 503 is retried too, although the Teams page lists only 429/412/502/504: by HTTP semantics it
    /// says the request was not processed, so a retry cannot duplicate a message. 500 is not retried:
    /// the message may already have been posted.
    /// </summary>
    public static bool IsRetryable(HttpStatusCode status) =>
        status is HttpStatusCode.TooManyRequests or HttpStatusCode.PreconditionFailed
            or HttpStatusCode.BadGateway or HttpStatusCode.GatewayTimeout or HttpStatusCode.ServiceUnavailable;

    /// <summary>The wait before retry number <paramref name="retry"/> (1-based).</summary>
    public TimeSpan GetDelay(int retry, RetryConditionHeaderValue? retryAfter)
    {
        if (RequestedDelay(retryAfter) is { } wait) return Clamp(wait);

        var backoff = BaseDelay.TotalMilliseconds * Math.Pow(BackoffFactor, retry - 1);
        var jitter = 1 + ((Random.Shared.NextDouble() * 2) - 1) * JitterFraction;
        return Clamp(TimeSpan.FromMilliseconds(backoff * jitter));
    }

    private TimeSpan Clamp(TimeSpan wait) =>
        wait < TimeSpan.Zero ? TimeSpan.Zero : wait > MaxDelay ? MaxDelay : wait;
}
