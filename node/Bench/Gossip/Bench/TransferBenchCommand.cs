using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using FedMesh.Protocol.Security;

namespace FedMesh.Node.Gossip.Bench;

/// <summary><c>fedmesh-bench transfer [--size 64MiB] [--repeats 5] [--suite auto] [--json]</c>.</summary>
public static class TransferBenchCommand
{
    /// <summary>The <c>--suite</c> names and the suites both ends then offer (the handshake picks the fastest).</summary>
    private static readonly Dictionary<string, CipherSuite> SuiteNames = new(StringComparer.OrdinalIgnoreCase)
    {
        ["auto"] = CipherSuite.None,
        ["chacha20-poly1305"] = CipherSuite.ChaCha20Poly1305,
        ["aes-256-gcm"] = CipherSuite.Aes256Gcm | CipherSuite.ChaCha20Poly1305,
        ["aegis-256"] = CipherSuite.Aegis256 | CipherSuite.ChaCha20Poly1305,
    };

    public static Command Create()
    {
        var size = new Option<string>("--size") { Description = "Delta size (e.g. 64MiB, 16MB).", DefaultValueFactory = _ => "64MiB" };
        var repeats = new Option<int>("--repeats") { Description = "Runs of each transfer; medians are reported.", DefaultValueFactory = _ => 5 };
        var suite = new Option<string>("--suite")
        {
            Description = "Cipher suite: auto (what two nodes here negotiate), aegis-256, aes-256-gcm or chacha20-poly1305.",
            DefaultValueFactory = _ => "auto",
        };
        var json = new Option<bool>("--json") { Description = "Print JSON." };
        var command = new Command("transfer", "Signed delta through the secure channel vs a plain socket copy, over loopback TCP.") { size, repeats, suite, json };
        command.SetAction(async (parse, cancel) =>
        {
            if (!ByteSize.TryParse(parse.GetValue(size), out long bytes, out string error))
            {
                Console.Error.WriteLine($"fedmesh-bench transfer: --size: {error}");
                return 2;
            }

            int runs = parse.GetValue(repeats);
            if (runs is < 1 or > 100 || bytes < 4 || bytes > (long)Protocol.Deltas.DeltaLimits.MaxTotalSize)
            {
                Console.Error.WriteLine($"fedmesh-bench transfer: --size must be 4 B .. 64 MiB and --repeats 1..100");
                return 2;
            }

            string suiteName = parse.GetValue(suite) ?? "auto";
            if (!SuiteNames.TryGetValue(suiteName, out CipherSuite offered))
            {
                Console.Error.WriteLine($"fedmesh-bench transfer: --suite: '{suiteName}' is not one of {string.Join(", ", SuiteNames.Keys)}");
                return 2;
            }

            if ((offered & ~CipherSuites.Supported) != 0)
            {
                Console.Error.WriteLine($"fedmesh-bench transfer: --suite: {suiteName} needs AES instructions, which this CPU lacks (supported here: {CipherSuites.Supported})");
                return 2;
            }

            TransferResult r = await TransferBenchmark.RunAsync(bytes, runs, cancel, suites: offered).ConfigureAwait(false);
            if (parse.GetValue(json))
            {
                Console.WriteLine(FedMesh.Node.Cli.BenchMachine.Json(new
                {
                    size_bytes = r.SizeBytes,
                    secure_mb_s = Math.Round(r.SecureMBps, 1),
                    raw_mb_s = Math.Round(r.RawMBps, 1),
                    ratio = Math.Round(r.Ratio, 3),
                    cipher = r.Cipher,
                    repeats = runs,
                    secure_cpu_ms = Math.Round(r.SecureCpuSeconds * 1e3, 1),
                    raw_cpu_ms = Math.Round(r.RawCpuSeconds * 1e3, 1),
                    raw_hot_mb_s = Math.Round(r.RawHotMBps, 1),
                    receive_path = TransferBenchmark.DaemonReceivePath,
                    chunks = r.Chunks,
                    placed_chunks = r.PlacedChunks,
                }));
            }
            else
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{r.SizeBytes / 1048576.0:F1} MiB signed delta, median of {runs}: secure {r.SecureMBps:F0} MB/s ({r.Cipher}), plain socket copy {r.RawMBps:F0} MB/s, ratio {r.Ratio:F3}; CPU {r.SecureCpuSeconds * 1e3:F0} ms vs {r.RawCpuSeconds * 1e3:F0} ms; cache-hot 1 MiB re-sent {r.RawHotMBps:F0} MB/s; {r.PlacedChunks} of {r.Chunks} chunks placed"));
            }

            return 0;
        });
        return command;
    }
}
