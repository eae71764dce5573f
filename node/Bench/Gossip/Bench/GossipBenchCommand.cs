using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using FedMesh.Node.Hosting;

namespace FedMesh.Node.Gossip.Bench;

/// <summary>
/// <c>fedmesh-bench gossip [--nodes 16] [--size 16MiB] [--degree 4] [--json]</c>: N real node processes on loopback in a
/// random graph; one publishes a signed delta; measures the time until every other node has verified it, and all
/// wire bytes received by all nodes relative to (N−1) × size (1.0 = every node downloaded it exactly once).
/// </summary>
public static class GossipBenchCommand
{
    public static Command Create()
    {
        var nodes = new Option<int>("--nodes") { Description = "Node processes (2..64).", DefaultValueFactory = _ => 16 };
        var size = new Option<string>("--size") { Description = "Delta size.", DefaultValueFactory = _ => "16MiB" };
        var degree = new Option<int>("--degree") { Description = "Peers each node dials (the graph's out-degree).", DefaultValueFactory = _ => 4 };
        var json = new Option<bool>("--json") { Description = "Print JSON." };
        var command = new Command("gossip", "Dissemination of one signed delta through N node processes on loopback.") { nodes, size, degree, json };
        command.SetAction(async (parse, cancel) =>
        {
            int n = parse.GetValue(nodes);
            int d = parse.GetValue(degree);
            if (!ByteSize.TryParse(parse.GetValue(size), out long bytes, out string error) || n is < 2 or > 64 || d < 1 || bytes > (long)Protocol.Deltas.DeltaLimits.MaxTotalSize)
            {
                Console.Error.WriteLine($"fedmesh-bench gossip: --nodes 2..64, --degree ≥ 1, --size ≤ 64MiB {error}");
                return 2;
            }

            (double seconds, double amplification) = await RunAsync(n, Math.Min(d, n - 1), bytes, cancel).ConfigureAwait(false);
            if (parse.GetValue(json))
            {
                Console.WriteLine(FedMesh.Node.Cli.BenchMachine.Json(new { nodes = n, size_bytes = bytes, seconds_to_all = Math.Round(seconds, 3), amplification = Math.Round(amplification, 4) }));
            }
            else
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{n} nodes, {bytes / 1048576.0:F1} MiB delta: all verified after {seconds:F2} s; bytes received / ((N-1) x size) = {amplification:F3}"));
            }

            return 0;
        });
        return command;
    }

    /// <summary>The hidden child command each benchmark process runs.</summary>
    public static Command Node()
    {
        var index = new Option<int>("--index") { Required = true };
        var degree = new Option<int>("--degree") { Required = true };
        var size = new Option<long>("--size-bytes") { Required = true };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 1 };
        var command = new Command("gossip-node", "(internal) one process of bench gossip") { index, degree, size, seed };
        command.Hidden = true;
        command.SetAction((parse, cancel) => GossipBenchNode.RunAsync(
            parse.GetValue(index),
            parse.GetValue(degree),
            parse.GetValue(size),
            parse.GetValue(seed),
            cancel));
        return command;
    }

    private static async Task<(double Seconds, double Amplification)> RunAsync(int n, int degree, long bytes, CancellationToken cancel)
    {
        var children = new List<Process>();
        try
        {
            for (int i = 0; i < n; i++)
            {
                children.Add(StartChild(i, degree, bytes));
            }

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            timeout.CancelAfter(TimeSpan.FromMinutes(5));

            // Each node binds port 0 and says which port it got; then every node learns all of them.
            string[] portLines = await Task.WhenAll(children.Select(c => ExpectAsync(c, "port ", timeout.Token))).ConfigureAwait(false);
            string ports = string.Join(',', portLines.Select(l => l[5..]));
            foreach (Process c in children)
            {
                await c.StandardInput.WriteLineAsync("ports " + ports).ConfigureAwait(false);
            }

            await Task.WhenAll(children.Select(c => ExpectAsync(c, "ready", timeout.Token))).ConfigureAwait(false);

            // Every process but the publisher signals "verified"; the clock runs from the publish command (after
            // the publisher has signed: signing is the origin's cost, not dissemination's).
            Task[] verified = children.Skip(1).Select(c => ExpectAsync(c, "verified", timeout.Token)).ToArray();
            await children[0].StandardInput.WriteLineAsync("publish").ConfigureAwait(false);
            await ExpectAsync(children[0], "signed", timeout.Token).ConfigureAwait(false);
            var clock = Stopwatch.StartNew();
            await Task.WhenAll(verified).ConfigureAwait(false);
            double seconds = clock.Elapsed.TotalSeconds;

            long received = 0;
            foreach (Process c in children)
            {
                await c.StandardInput.WriteLineAsync("report").ConfigureAwait(false);
                string line = await ExpectAsync(c, "bytes", timeout.Token).ConfigureAwait(false);
                received += long.Parse(line.Split(' ')[1], CultureInfo.InvariantCulture);
            }

            return (seconds, received / (double)((n - 1) * bytes));
        }
        finally
        {
            foreach (Process c in children)
            {
                try
                {
                    await c.StandardInput.WriteLineAsync("exit").ConfigureAwait(false);
                }
                catch (IOException)
                {
                }

                if (!c.WaitForExit(5000))
                {
                    c.Kill(entireProcessTree: true);
                }

                c.Dispose();
            }
        }
    }

    private static Process StartChild(int index, int degree, long bytes)
    {
        // The child is this program again (fedmesh-bench gossip-node), found where every program starts fedmesh.
        IReadOnlyList<string> self = FedmeshExecutable.Command("fedmesh-bench", Path.GetDirectoryName(typeof(GossipBenchCommand).Assembly.Location));
        var start = new ProcessStartInfo(self[0]) { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string a in self.Skip(1).Concat(["gossip-node", "--index", index.ToString(CultureInfo.InvariantCulture), "--degree", degree.ToString(CultureInfo.InvariantCulture), "--size-bytes", bytes.ToString(CultureInfo.InvariantCulture)]))
        {
            start.ArgumentList.Add(a);
        }

        return Process.Start(start) ?? throw new InvalidOperationException("could not start a benchmark node");
    }

    private static async Task<string> ExpectAsync(Process child, string prefix, CancellationToken cancel)
    {
        while (await child.StandardOutput.ReadLineAsync(cancel).ConfigureAwait(false) is { } line)
        {
            if (line.StartsWith(prefix, StringComparison.Ordinal))
            {
                return line;
            }
        }

        throw new IOException($"benchmark node exited before saying '{prefix}' (exit code {(child.HasExited ? child.ExitCode : -1)})");
    }

}
