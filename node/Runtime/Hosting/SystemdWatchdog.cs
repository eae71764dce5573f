using System.Globalization;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;

namespace FedMesh.Node.Hosting;

/// <summary>
/// Sends <c>WATCHDOG=1</c> to systemd at half the unit's <c>WatchdogSec=</c> (systemd/fedmesh.service), so that
/// systemd restarts a node whose process hangs. UseSystemd() only sends READY=1/STOPPING=1, not watchdog pings.
/// Does nothing when the service manager did not ask for a watchdog (no <c>WATCHDOG_USEC</c> for this pid).
/// Register with <c>services.AddHostedService&lt;SystemdWatchdog&gt;()</c> next to <c>UseSystemd()</c>.
/// </summary>
public sealed partial class SystemdWatchdog(ISystemdNotifier notifier, TimeProvider time, ILogger<SystemdWatchdog> logger) : BackgroundService
{
    private static readonly ServiceState Ping = new("WATCHDOG=1");

    /// <summary>
    /// The ping interval for the environment systemd sets (sd_watchdog_enabled(3)): half of <c>WATCHDOG_USEC</c>,
    /// so that one late ping never trips the watchdog; null when no watchdog is requested for this process.
    /// </summary>
    public static TimeSpan? PingInterval(string? watchdogUsec, string? watchdogPid, int ownPid)
    {
        if (!ulong.TryParse(watchdogUsec, NumberStyles.None, CultureInfo.InvariantCulture, out ulong usec) || usec == 0)
        {
            return null;
        }

        // WATCHDOG_PID, when set, names the one process meant to ping (a child must not act on its parent's variable).
        if (watchdogPid is not null &&
            (!int.TryParse(watchdogPid, NumberStyles.None, CultureInfo.InvariantCulture, out int pid) || pid != ownPid))
        {
            return null;
        }

        return TimeSpan.FromMicroseconds(usec / 2.0);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        TimeSpan? interval = PingInterval(
            Environment.GetEnvironmentVariable("WATCHDOG_USEC"), Environment.GetEnvironmentVariable("WATCHDOG_PID"), Environment.ProcessId);
        if (interval is not { } every || !notifier.IsEnabled)
        {
            return;
        }

        WatchdogStarted(logger, every);
        using var timer = new PeriodicTimer(every, time);
        do
        {
            notifier.Notify(Ping);
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    [LoggerMessage(EventId = 5300, Level = LogLevel.Information, Message = "systemd watchdog enabled: pinging every {Interval}")]
    private static partial void WatchdogStarted(ILogger logger, TimeSpan interval);
}
