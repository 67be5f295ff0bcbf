using System.Net;

namespace PorBot.Integrations.Registry;

/// <summary>
/// The remote registry could not answer: unreachable, too slow, failing (5xx), refusing our key, or
/// paused by the circuit breaker after repeated failures. The message is for logs and operators;
/// people in Teams get <see cref="UserMessage"/>.
/// </summary>
public sealed class RegistryUnavailableException : Exception
{
    public const string UserMessage = "The registry is unavailable right now, try again in a minute.";

    public RegistryUnavailableException() : base(UserMessage) { }

    public RegistryUnavailableException(string message) : base(message) { }

    public RegistryUnavailableException(string message, Exception? inner) : base(message, inner) { }

    public RegistryUnavailableException(string message, HttpStatusCode? statusCode, bool circuitOpen, Exception? inner = null)
        : base(message, inner)
    {
        StatusCode = statusCode;
        IsCircuitOpen = circuitOpen;
    }

    /// <summary>The registry's last answer, when it answered at all.</summary>
    public HttpStatusCode? StatusCode { get; }

    /// <summary>True when the call failed fast without reaching the service, because recent calls failed.</summary>
    public bool IsCircuitOpen { get; }
}

/// <summary>The registry understood a POR change and refused it (400, 409, 422), with its reason.</summary>
public sealed class RegistryChangeRejectedException : Exception
{
    public RegistryChangeRejectedException() { }

    public RegistryChangeRejectedException(string message) : base(message) { }

    public RegistryChangeRejectedException(string message, Exception inner) : base(message, inner) { }
}
