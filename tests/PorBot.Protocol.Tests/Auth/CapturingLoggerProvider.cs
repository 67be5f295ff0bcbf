using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace PorBot.Protocol.Tests.Auth;

/// <summary>Keeps every log entry (level, rendered message, exception text) for assertions.</summary>
internal sealed class CapturingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<LogEntry> _entries = new();

    public IReadOnlyList<LogEntry> Entries => [.. _entries];

    public ILogger CreateLogger(string categoryName) => new CapturingLogger(this);

    public void Dispose()
    {
    }

    internal sealed record LogEntry(LogLevel Level, string Message, string? Exception)
    {
        public string AllText => Message + "\n" + Exception;
    }

    private sealed class CapturingLogger(CapturingLoggerProvider provider) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            provider._entries.Enqueue(new LogEntry(logLevel, formatter(state, exception), exception?.ToString()));
    }
}
