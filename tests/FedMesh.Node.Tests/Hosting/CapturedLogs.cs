using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace FedMesh.Node.Tests.Hosting;

/// <summary>A logger provider that keeps every line (level, event id, text) for assertions.</summary>
internal sealed class CapturedLogs : ILoggerProvider
{
    private readonly ConcurrentQueue<(LogLevel Level, int EventId, string Text)> _lines = new();

    public IReadOnlyList<(LogLevel Level, int EventId, string Text)> Lines => _lines.ToArray();

    public ILoggerFactory Factory() => LoggerFactory.Create(b => b.AddProvider(this).SetMinimumLevel(LogLevel.Debug));

    public IEnumerable<string> Warnings(int eventId) =>
        Lines.Where(l => l.Level == LogLevel.Warning && l.EventId == eventId).Select(l => l.Text);

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
            owner._lines.Enqueue((logLevel, eventId.Id, formatter(state, exception)));
    }
}
