using FedMesh.Node.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Time.Testing;

namespace FedMesh.Node.Tests.Systemd;

/// <summary>Issue 17: a long first start (pretraining) extends systemd's start timeout instead of being killed by it.</summary>
public sealed class StartupTimeoutTests
{
    [Fact]
    public void The_message_extends_by_whole_microseconds_and_keeps_the_status_on_one_line()
    {
        Assert.Equal("EXTEND_TIMEOUT_USEC=30000000\nSTATUS=loading the base model", StartupTimeoutExtender.Message(TimeSpan.FromSeconds(30), "loading\nthe base model"));
        // Each message outlasts the interval to the next, with two intervals of slack for a loaded machine.
        Assert.True(StartupTimeoutExtender.Extension >= StartupTimeoutExtender.Interval * 3);
    }

    [Fact]
    public async Task It_renews_the_extension_every_interval_until_disposed()
    {
        var time = new FakeTimeProvider();
        var notifier = new RecordingNotifier();
        StartupTimeoutExtender extender = StartupTimeoutExtender.Start(notifier, time, "pretraining");
        await notifier.WaitForAsync(1);
        time.Advance(StartupTimeoutExtender.Interval);
        await notifier.WaitForAsync(2);
        await extender.DisposeAsync();
        time.Advance(StartupTimeoutExtender.Interval * 5);

        Assert.Equal(2, notifier.Count);
        Assert.All(notifier.Messages, m => Assert.StartsWith("EXTEND_TIMEOUT_USEC=30000000\nSTATUS=pretraining", m, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Outside_systemd_nothing_is_sent()
    {
        var notifier = new RecordingNotifier(enabled: false);
        await StartupTimeoutExtender.Start(notifier, new FakeTimeProvider(), "x").DisposeAsync();
        Assert.Equal(0, notifier.Count);
    }

    private sealed class RecordingNotifier(bool enabled = true) : ISystemdNotifier
    {
        private readonly List<string> _messages = [];

        public bool IsEnabled => enabled;

        public int Count
        {
            get
            {
                lock (_messages)
                {
                    return _messages.Count;
                }
            }
        }

        public IReadOnlyList<string> Messages
        {
            get
            {
                lock (_messages)
                {
                    return _messages.ToArray();
                }
            }
        }

        public void Notify(ServiceState state)
        {
            lock (_messages)
            {
                _messages.Add(state.ToString());
            }
        }

        public async Task WaitForAsync(int count)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            while (Count < count)
            {
                await Task.Delay(10, timeout.Token);
            }
        }
    }
}
