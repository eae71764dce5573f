using FedMesh.NetSim.Hosting.Internal;
using FedMesh.NetSim.Network;

namespace FedMesh.NetSim.Tests.Hosting;

/// <summary>The link model on netsim's in-memory transport: its arithmetic, and a lossy link through the real runtime.</summary>
public sealed class LinkModelTests : IDisposable
{
    private static readonly LinkProfile Steady = LinkProfile.Default with
    {
        BaseLatency = TimeSpan.FromMilliseconds(50),
        JitterMedian = TimeSpan.Zero,
        BandwidthBytesPerSecond = 125_000,
    };

    private readonly string _root = Directory.CreateTempSubdirectory("netsim-links-").FullName;

    [Fact]
    public void Bytes_queue_for_the_bandwidth_take_the_latency_and_arrive_in_order()
    {
        var link = new LinkDirection(() => Steady, new Random(1));

        // 125,000 B at 1 Mbit/s: 1 s on the wire, then 50 ms of latency.
        Assert.Equal(TimeSpan.FromMilliseconds(1050), link.Arrival(TimeSpan.Zero, 125_000));
        // Written at once, it waits for the first to leave the link: 1 s + 0.1 s + 50 ms.
        Assert.Equal(TimeSpan.FromMilliseconds(1150), link.Arrival(TimeSpan.Zero, 12_500));
    }

    [Fact]
    public void Lost_segments_cost_doubling_retransmission_timeouts_and_no_loss_costs_nothing()
    {
        Assert.Equal(TimeSpan.Zero, LinkDirection.RetransmissionDelay(Steady, 1 << 20, new Random(1)));
        LinkProfile lossy = Steady with { Loss = 0.5 };
        TimeSpan[] delays = [.. Enumerable.Range(0, 200).Select(seed => LinkDirection.RetransmissionDelay(lossy, LinkDirection.SegmentBytes, new Random(seed)))];

        // One segment: 0, 200, 200 + 400, … ms (RTO floor 200 ms, doubling): about half of them lost at least once.
        Assert.All(delays, d => Assert.Contains(d.TotalMilliseconds, new[] { 0.0, 200, 600, 1400, 3000, 6200, 12600, 25400, 51000 }));
        Assert.InRange(delays.Count(d => d > TimeSpan.Zero), 70, 130);
    }

    [Fact]
    public async Task A_lossy_slow_link_delays_dissemination_through_the_runtime_and_the_run_still_replays_byte_for_byte()
    {
        string clean = Write("clean", Scenario(links: ""));
        string lossy = Write("lossy", Scenario(links: "[links]\nlatency_ms = 300.0\njitter_ms = 20.0\nloss = 0.3\n"));
        string a = Path.Combine(_root, "a"), b = Path.Combine(_root, "b"), c = Path.Combine(_root, "c");

        await NetsimProcess.RunAsync(null, "run", lossy, "--out", a, "--json", "--no-plots");
        await NetsimProcess.RunAsync(null, "run", lossy, "--out", b, "--json", "--no-plots");
        await NetsimProcess.RunAsync(null, "run", clean, "--out", c, "--json", "--no-plots");

        Assert.Equal(Output.RunOutputs.Digest(a), Output.RunOutputs.Digest(b));
        long lossyMerged = Merged(a), cleanMerged = Merged(c);
        Assert.True(lossyMerged < cleanMerged, $"merged over the run: lossy {lossyMerged}, clean {cleanMerged}");
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }

    /// <summary>States merged by all nodes over the run (the nodes' CSVs, column merged).</summary>
    private static long Merged(string dir) =>
        Directory.GetFiles(Path.Combine(dir, "nodes")).Sum(f => File.ReadAllLines(f).Skip(1).Sum(l => long.Parse(l.Split(',')[11], System.Globalization.CultureInfo.InvariantCulture)));

    private string Write(string name, string text)
    {
        string path = Path.Combine(_root, name + ".toml");
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>8 nodes, flood, 1-second rounds: on instant links every release reaches every node within its round;
    /// at 300 ms a hop and 30% segment loss (RTO 1.2 s) the handshakes and deltas arrive rounds late.</summary>
    private static string Scenario(string links) =>
        $"""
        name = "links"
        nodes = 8
        rounds = 5
        period_s = 1.0
        seed = 5
        [topology]
        kind = "random_regular"
        degree = 3
        [gossip]
        mode = "flood"
        fanout = 3
        [learner]
        dimension = 16
        local_steps = 2
        train_samples = 64
        test_samples = 32
        [merge]
        rule = "mean"
        validation_gate = false
        {links}
        """;
}
