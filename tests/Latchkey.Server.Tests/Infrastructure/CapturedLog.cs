using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Latchkey.Server.Tests.Infrastructure;

/// <summary>Everything the server logs at Information or above, kept so a test can assert what was (not) written.</summary>
public sealed class CapturedLog : ILoggerProvider
{
    private readonly ConcurrentQueue<CapturedLogEntry> entries = new();

    public IReadOnlyCollection<CapturedLogEntry> Entries => entries;

    /// <summary>Entries that carry an exception or a stack trace: what a client error must never produce.</summary>
    public IEnumerable<CapturedLogEntry> WithStackTraces(int skip = 0)
        => entries.Skip(skip).Where(e => e.Exception is not null || e.Message.Contains("\n   at ", StringComparison.Ordinal));

    /// <summary>Each entry as one line of text, for tests that look for (or for the absence of) some text.</summary>
    public IEnumerable<string> Lines => entries.Select(e => $"{e.Level} {e.Category} {e.Message} {e.Exception}");

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturedLog owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                owner.entries.Enqueue(new CapturedLogEntry(logLevel, category, formatter(state, exception), exception));
            }
        }
    }
}
