using FedMesh.NetSim.Hosting;

namespace FedMesh.NetSim.Tests;

public class VirtualClockTests
{
    [Fact]
    public void Events_run_in_time_order_and_ties_in_scheduling_order()
    {
        var clock = new VirtualClock();
        var order = new List<string>();
        clock.Schedule(TimeSpan.FromSeconds(2), () => order.Add("b"));
        clock.Schedule(TimeSpan.FromSeconds(1), () => order.Add("a1"));
        clock.Schedule(TimeSpan.FromSeconds(1), () => order.Add("a2"));
        clock.Schedule(TimeSpan.FromSeconds(3), () => order.Add("late"));
        Assert.Equal(3, clock.RunUntil(TimeSpan.FromSeconds(2)));
        Assert.Equal(["a1", "a2", "b"], order);
        Assert.Equal(VirtualClock.Epoch.AddSeconds(2), clock.GetUtcNow());
        Assert.Equal(1, clock.PendingEvents);
    }

    [Fact]
    public void Periodic_timers_fire_on_virtual_time_and_stop_when_disposed()
    {
        var clock = new VirtualClock();
        var fired = new List<TimeSpan>();
        ITimer timer = clock.CreateTimer(_ => fired.Add(clock.Elapsed), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        clock.RunUntil(TimeSpan.FromSeconds(3.5));
        Assert.Equal([TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(3)], fired);
        timer.Dispose();
        clock.RunUntil(TimeSpan.FromSeconds(10));
        Assert.Equal(3, fired.Count);
    }

    [Fact]
    public void Changing_a_timer_cancels_its_queued_firing()
    {
        var clock = new VirtualClock();
        int fired = 0;
        ITimer timer = clock.CreateTimer(_ => fired++, null, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);
        timer.Change(TimeSpan.FromSeconds(5), Timeout.InfiniteTimeSpan);
        clock.RunUntil(TimeSpan.FromSeconds(4));
        Assert.Equal(0, fired);
        clock.RunUntil(TimeSpan.FromSeconds(5));
        Assert.Equal(1, fired);
    }

    [Fact]
    public void Task_delay_on_the_virtual_clock_completes_only_when_time_is_advanced()
    {
        var clock = new VirtualClock();
        Task delay = Task.Delay(TimeSpan.FromSeconds(30), clock);
        clock.RunUntil(TimeSpan.FromSeconds(29));
        Assert.False(delay.IsCompleted);
        clock.RunUntil(TimeSpan.FromSeconds(30));
        Assert.True(delay.IsCompleted);
    }
}
