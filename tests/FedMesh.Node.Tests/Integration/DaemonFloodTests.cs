using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Xunit.Abstractions;

namespace FedMesh.Node.Tests.Integration;

/// <summary>
/// A connection flood against a real daemon (issue 11: 2,000 parallel connections were all accepted; a 44 s flood
/// stalled rounds and grew RSS 570 → 1,607 MiB for good). Loopback only, bounded in count (2,500) and time.
/// </summary>
[Collection(DaemonCollection.Name)]
public sealed class DaemonFloodTests(DaemonLab lab, ITestOutputHelper output) : IClassFixture<DaemonLab>
{
    /// <summary>Connections in the flood: above the 2,000 of the report.</summary>
    private const int FloodConnections = 2500;

    /// <summary>Connections open at once on the flooding side (each held up to <see cref="Hold"/>).</summary>
    private const int FloodConcurrency = 250;

    /// <summary>Source addresses 127.0.0.2 … 127.0.0.11: a flood from several hosts, not just one rate-limited address.</summary>
    private const int FloodSources = 10;

    /// <summary>How long each flood connection stays open without sending a byte (a half-open handshake).</summary>
    private static readonly TimeSpan Hold = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task A_flood_of_2500_connections_leaves_the_honest_peer_served_rounds_running_and_memory_back_to_its_level()
    {
        using Daemon target = lab.Node("flood", 0, maxRounds: 0);
        target.Start();
        using Daemon honest = lab.Node("flood", 1, maxRounds: 0, new Dictionary<string, object> { ["network.seeds"] = new[] { target.Seed } });
        honest.Start();
        await target.WaitForAsync(s => s.GetProperty("round").GetInt64() >= 4 && PeerIds(s).Contains(honest.PeerId), DaemonLab.Patience, "rounds with the honest peer");

        long rssBefore = await SteadyRssAsync(target.Pid);
        long honestBefore = Rss(honest.Pid);
        int fdsBefore = Fds(target.Pid);
        JsonElement before = (await target.StatusAsync())!.Value;
        var clock = Stopwatch.StartNew();
        (int connected, int failed, int maxFds, bool honestAlways) = await FloodAsync(target, honest);
        TimeSpan floodTime = clock.Elapsed;
        JsonElement after = (await target.StatusAsync())!.Value;
        long rssPeak = Rss(target.Pid);

        // Served during and after: the honest peer's session survived and its deltas still arrive; rounds ran.
        long roundsDuring = after.GetProperty("round").GetInt64() - before.GetProperty("round").GetInt64();
        long received = after.GetProperty("deltas_received").GetInt64();
        await target.WaitForAsync(s => s.GetProperty("deltas_received").GetInt64() > received && PeerIds(s).Contains(honest.PeerId), DaemonLab.Patience, "a delta from the honest peer after the flood");

        // Memory given back: RSS within 10 % of its level before the flood (the GC and allocator need a moment);
        // the lowest sample counts, since rounds swing RSS up and down as they did before the flood. A learning node
        // still climbing towards its plateau (on a loaded machine its first ~20 rounds take longer than the steady
        // window above can see) grows without any flood: the honest peer, the same learner in the same mesh with no
        // flood, measures that growth over the same time, and the allowance includes it.
        long rssAfter = long.MaxValue, honestAfter = long.MaxValue;
        var settle = Stopwatch.StartNew();
        while (settle.Elapsed < TimeSpan.FromSeconds(60) && rssAfter > Allowed(rssBefore, honestBefore, honestAfter))
        {
            await Task.Delay(2000);
            rssAfter = Math.Min(rssAfter, Rss(target.Pid));
            honestAfter = Math.Min(honestAfter, Rss(honest.Pid));
        }

        string refused = (await target.GetAsync(target.AdminPort, "/metrics")).Split('\n').FirstOrDefault(l => l.StartsWith("fedmesh_connections_refused_total ", StringComparison.Ordinal)) ?? "?";
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"flood: {FloodConnections} connections from {FloodSources} addresses in {floodTime.TotalSeconds:F1} s ({connected} connected, {failed} failed to connect), {refused}; " +
            $"fds {fdsBefore} before, at most {maxFds} during; rounds during the flood {roundsDuring}; honest peer connected throughout: {honestAlways}; " +
            $"RSS {rssBefore / 1048576.0:F1} MiB before, {rssPeak / 1048576.0:F1} MiB right after, {rssAfter / 1048576.0:F1} MiB {settle.Elapsed.TotalSeconds:F0} s later; " +
            $"honest peer (no flood) {honestBefore / 1048576.0:F1} → {honestAfter / 1048576.0:F1} MiB"));

        Assert.True(honestAlways, "the honest peer lost its session during the flood");
        Assert.True(roundsDuring >= 1, $"no round completed during the flood ({floodTime.TotalSeconds:F1} s)");
        // max_connections (64) bounds what the node holds: a handful of fds on top for logs, state and Kestrel.
        Assert.True(maxFds <= fdsBefore + 64 + 16, $"fds grew from {fdsBefore} to {maxFds}");
        Assert.True(
            rssAfter <= Allowed(rssBefore, honestBefore, honestAfter),
            $"RSS {rssAfter / 1048576.0:F1} MiB is not within 10 % of {rssBefore / 1048576.0:F1} MiB plus the honest peer's own growth ({honestBefore / 1048576.0:F1} → {honestAfter / 1048576.0:F1} MiB)");
    }

    /// <summary>The most RSS the flooded node may hold after the flood: 10 % over its level before, plus whatever the
    /// honest peer (no flood) grew meanwhile (0 while it has no sample yet or shrank). The report's leak was 570 →
    /// 1,607 MiB, far outside this.</summary>
    private static long Allowed(long before, long honestBefore, long honestAfter) =>
        (long)(before * 1.10) + (honestAfter == long.MaxValue ? 0 : Math.Max(0, honestAfter - honestBefore));

    private async Task<(int Connected, int Failed, int MaxFds, bool HonestAlways)> FloodAsync(Daemon target, Daemon honest)
    {
        var endPoint = new IPEndPoint(IPAddress.Loopback, target.Port);
        using var gate = new SemaphoreSlim(FloodConcurrency);
        int connected = 0, failed = 0, maxFds = 0;
        bool honestAlways = true;
        using var done = new CancellationTokenSource();
        Task watch = Task.Run(async () =>
        {
            while (!done.IsCancellationRequested)
            {
                maxFds = Math.Max(maxFds, Fds(target.Pid));
                if (await target.StatusAsync() is { } s && !PeerIds(s).Contains(honest.PeerId))
                {
                    honestAlways = false;
                }

                await Task.Delay(250);
            }
        });

        var tasks = new List<Task>(FloodConnections);
        for (int i = 0; i < FloodConnections; i++)
        {
            await gate.WaitAsync();
            var source = new IPAddress([127, 0, 0, (byte)(2 + (i % FloodSources))]);
            tasks.Add(Task.Run(async () =>
            {
                try
                {
                    using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                    socket.Bind(new IPEndPoint(source, 0));
                    using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                    await socket.ConnectAsync(endPoint, timeout.Token);
                    Interlocked.Increment(ref connected);
                    await Task.Delay(Hold);
                }
                catch (Exception ex) when (ex is SocketException or OperationCanceledException)
                {
                    Interlocked.Increment(ref failed);
                }
                finally
                {
                    gate.Release();
                }
            }));
        }

        await Task.WhenAll(tasks);
        await done.CancelAsync();
        await watch;
        return (connected, failed, maxFds, honestAlways);
    }

    /// <summary>
    /// The node's memory level before the flood: a learning node's RSS climbs for its first ~20 rounds while the
    /// libtorch allocator and the runtime reach their working set (measured: 205 → ~300 MiB with no flood at all; 386 →
    /// ~650 MiB before the learner trimmed glibc's heap after each round, whose ±100 MiB swings made this check flaky), and
    /// swings with each round's training and evaluation afterwards. So the level is the highest RSS over a 20 s
    /// window, taken once that highest value stopped rising by more than 2 % from one window to the next (at most
    /// 3 minutes): a flood that kept memory would then show as every later sample above it.
    /// </summary>
    private static async Task<long> SteadyRssAsync(int pid)
    {
        var clock = Stopwatch.StartNew();
        long previous = 0;
        while (true)
        {
            long high = 0;
            for (int i = 0; i < 10; i++)
            {
                high = Math.Max(high, Rss(pid));
                await Task.Delay(2000);
            }

            if ((previous > 0 && high <= previous * 1.02) || clock.Elapsed > TimeSpan.FromMinutes(3))
            {
                return Math.Max(high, previous);
            }

            previous = high;
        }
    }

    /// <summary>Resident set size in bytes (VmRSS of /proc/PID/status).</summary>
    private static long Rss(int pid)
    {
        string line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }

    private static int Fds(int pid) => Directory.GetFiles($"/proc/{pid}/fd").Length;

    private static string[] PeerIds(JsonElement status) =>
        status.GetProperty("peers").EnumerateArray().Select(p => p.GetProperty("peer_id").GetString()!).ToArray();
}
