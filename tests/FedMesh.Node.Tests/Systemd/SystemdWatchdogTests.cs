using FedMesh.Node.Hosting;

namespace FedMesh.Node.Tests.Systemd;

public sealed class SystemdWatchdogTests
{
    [Theory]
    [InlineData("120000000", null, 60.0)]
    [InlineData("120000000", "4242", 60.0)]
    [InlineData("1000", null, 0.0005)]
    public void The_ping_interval_is_half_the_watchdog_period(string usec, string? pid, double seconds)
    {
        Assert.Equal(TimeSpan.FromSeconds(seconds), SystemdWatchdog.PingInterval(usec, pid, ownPid: 4242));
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData("0", null)]
    [InlineData("-5", null)]
    [InlineData("soon", null)]
    [InlineData("120000000", "1")]
    [InlineData("120000000", "not-a-pid")]
    public void No_watchdog_is_run_when_systemd_did_not_ask_this_process(string? usec, string? pid)
    {
        Assert.Null(SystemdWatchdog.PingInterval(usec, pid, ownPid: 4242));
    }
}
