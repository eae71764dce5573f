using System.Globalization;
using Microsoft.Extensions.Hosting.Systemd;

namespace FedMesh.Node.Hosting;

/// <summary>
/// Keeps systemd from killing a node whose first start is long (the base model is pretrained when it is not cached,
/// minutes on a small machine; loading it takes seconds): while the node is being assembled it sends
/// <c>EXTEND_TIMEOUT_USEC</c> (sd_notify(3)) every <see cref="Interval"/>, each extending the start timeout to
/// <see cref="Extension"/> from now, with a STATUS line saying what it is doing. A node that hangs stops sending and
/// systemd's <c>TimeoutStartSec=</c> applies again from the last message. Outside systemd (no NOTIFY_SOCKET) it does
/// nothing. READY=1 follows from the host (UseSystemd) once the node is listening.
/// </summary>
public sealed class StartupTimeoutExtender : IAsyncDisposable
{
    /// <summary>How often the extension is renewed.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    /// <summary>Three intervals: a message delayed by two intervals on a loaded machine still arrives in time.</summary>
    public static readonly TimeSpan Extension = Interval * 3;

    private readonly ISystemdNotifier _notifier;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    private StartupTimeoutExtender(ISystemdNotifier notifier, TimeProvider time, string status)
    {
        _notifier = notifier;
        _loop = notifier.IsEnabled ? RunAsync(time, status, _stop.Token) : Task.CompletedTask;
    }

    /// <summary>Starts extending now; dispose once the work is done.</summary>
    public static StartupTimeoutExtender Start(ISystemdNotifier notifier, TimeProvider time, string status)
    {
        ArgumentNullException.ThrowIfNull(notifier);
        ArgumentNullException.ThrowIfNull(time);
        return new StartupTimeoutExtender(notifier, time, status);
    }

    /// <summary>The sd_notify message: the extension in whole microseconds and a STATUS line (newline-separated
    /// assignments; a newline inside the status would start a new assignment, so it is replaced).</summary>
    public static string Message(TimeSpan extension, string status) =>
        string.Create(CultureInfo.InvariantCulture, $"EXTEND_TIMEOUT_USEC={(ulong)(extension.Ticks / TimeSpan.TicksPerMicrosecond)}\nSTATUS={status.ReplaceLineEndings(" ")}");

    private async Task RunAsync(TimeProvider time, string status, CancellationToken stop)
    {
        var message = new ServiceState(Message(Extension, status));
        using var timer = new PeriodicTimer(Interval, time);
        try
        {
            do
            {
                _notifier.Notify(message);
            }
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false));
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }
}
