using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using FedMesh.Node.Discovery.Internal;
using FedMesh.Node.Membership;
using FedMesh.Protocol.Identity;

namespace FedMesh.Node.Discovery;

/// <summary>
/// <c>fedmesh-bench discovery</c>: throughput of the discovery/membership hot paths that untrusted traffic drives
/// (mDNS packet decode+interpret, PEX merge into a full peer book) and of the per-message checks (φ, token bucket).
/// </summary>
public static class DiscoveryBenchCommand
{
    /// <summary>Each case runs this long after a warm-up of a quarter of it: long enough for a stable rate on a busy 2-core box.</summary>
    private static readonly TimeSpan CaseDuration = TimeSpan.FromSeconds(1);

    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "Print the figures as JSON." };
        var command = new Command("discovery", "mDNS parse, PEX merge, phi and token-bucket throughput.") { json };
        command.SetAction(parse =>
        {
            var results = Run();
            if (parse.GetValue(json))
            {
                Console.WriteLine(FedMesh.Node.Cli.BenchMachine.Json(results.ToDictionary(r => r.Name, r => Math.Round(r.PerSecond))));
            }
            else
            {
                foreach (var (name, perSecond) in results)
                {
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name,-34} {perSecond,14:N0} /s"));
                }
            }

            return 0;
        });
        return command;
    }

    private static List<(string Name, double PerSecond)> Run()
    {
        var self = new MdnsService(PeerId.FromPublicKey(new byte[32]), "bench", 7340);
        var peer = new MdnsService(PeerId.FromPublicKey(Enumerable.Repeat((byte)1, 32).ToArray()), "bench", 7341);
        byte[] announcement = MdnsMessages.BuildAnnouncement(peer, [IPAddress.Parse("192.0.2.1"), IPAddress.Parse("fe80::1")], MdnsOptions.Default).ToByteArray();
        byte[] garbage = new byte[512];
        new Random(1).NextBytes(garbage);

        var time = TimeProvider.System;
        var book = new PeerBook(self.PeerId, time, new PeerBookOptions { Capacity = 1024 });
        var entries = Enumerable.Range(0, 1024)
            .Select(i => new PexEntry(PeerId.FromPublicKey(BitConverter.GetBytes(i).Concat(new byte[28]).ToArray()), [new PeerAddress($"198.51.{i / 256}.{i % 256}", 7340)]))
            .ToArray();
        int offset = 0;
        var bucket = new TokenBucket(1e12, 1e12, time);

        return
        [
            ("mdns_announcement_decode", Measure(() => MdnsMessages.Interpret(MdnsMessages.Decode(announcement), self, MdnsOptions.Default))),
            ("mdns_garbage_reject", Measure(() =>
            {
                try
                {
                    MdnsMessages.Decode(garbage);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                }
            })),
            ("pex_merge_64_entries", Measure(() =>
            {
                offset = (offset + 64) % entries.Length;
                book.MergePex(peer.PeerId, new ArraySegment<PexEntry>(entries, offset, Math.Min(64, entries.Length - offset)));
            })),
            ("phi", Measure(() => PhiAccrual.Phi(1234, 1000, 100))),
            ("token_bucket_take", Measure(() => bucket.TryTake(1))),
        ];
    }

    private static double Measure(Action action)
    {
        static long Loop(Action action, TimeSpan duration)
        {
            long n = 0;
            var sw = Stopwatch.StartNew();
            while (sw.Elapsed < duration)
            {
                // Batches of 64 keep the clock reads out of the figure.
                for (int i = 0; i < 64; i++)
                {
                    action();
                }

                n += 64;
            }

            return n;
        }

        Loop(action, CaseDuration / 4);
        var timer = Stopwatch.StartNew();
        long count = Loop(action, CaseDuration);
        return count / timer.Elapsed.TotalSeconds;
    }
}
