using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace FedMesh.Node.Tests.Hosting;

/// <summary>A logger provider that keeps every entry (level, event id, text with its exception's message), for assertions.</summary>
internal sealed class CapturedLogs : ILoggerProvider
{
    private readonly ConcurrentQueue<(LogLevel Level, int EventId, string Text)> _entries = new();

    /// <summary>Entries at Information and above as "Level EventId text" lines.</summary>
    public IReadOnlyList<string> Lines =>
        _entries.Where(e => e.Level >= LogLevel.Information).Select(e => $"{e.Level} {e.EventId} {e.Text}").ToArray();

    public ILoggerFactory Factory() => LoggerFactory.Create(b => b.AddProvider(this).SetMinimumLevel(LogLevel.Debug));

    public IEnumerable<string> Warnings(int eventId) =>
        _entries.ToArray().Where(l => l.Level == LogLevel.Warning && l.EventId == eventId).Select(l => l.Text);

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturedLogs owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner._entries.Enqueue((logLevel, eventId.Id, formatter(state, exception) + (exception is null ? string.Empty : " | " + exception.Message)));
    }
}
