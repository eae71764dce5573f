using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using FedMesh.Node.Audit;
using Microsoft.Extensions.Logging.Abstractions;

namespace FedMesh.Node.Cli;

/// <summary>
/// <c>fedmesh-bench audit</c>: cost of one fsynced audit append and of verifying the chain, in a temp directory
/// (or <c>--dir</c>, to measure the disk the state directory lives on).
/// </summary>
public static class BenchAuditCommand
{
    public static Command Create()
    {
        // 2000 appends: enough for a stable mean on an SSD (fsync ≈ 0.1-2 ms) and a few seconds on a slow disk.
        var entries = new Option<int>("--entries") { Description = "Entries to append.", DefaultValueFactory = _ => 2000 };
        var dir = new Option<string?>("--dir") { Description = "Directory to write the log in (default: a temp directory)." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object." };
        var command = new Command("audit", "Audit log: fsynced appends per second and verification lines per second.");
        command.Options.Add(entries);
        command.Options.Add(dir);
        command.Options.Add(json);
        command.SetAction(parse =>
        {
            int count = parse.GetValue(entries);
            if (count is < 1 or > 10_000_000)
            {
                parse.InvocationConfiguration.Error.WriteLine("fedmesh-bench audit: --entries must be between 1 and 10000000");
                return 2;
            }

            Run(count, parse.GetValue(dir), parse.GetValue(json), parse.InvocationConfiguration.Output);
            return 0;
        });
        return command;
    }

    private static void Run(int count, string? dir, bool asJson, TextWriter output)
    {
        string folder = dir is null
            ? Directory.CreateTempSubdirectory("fedmesh-bench-audit-").FullName
            : Directory.CreateDirectory(Path.Combine(dir, $"fedmesh-bench-audit-{Guid.NewGuid():N}")).FullName;
        try
        {
            string path = Path.Combine(folder, "audit.log");
            var record = new AuditRecord(AuditEventKind.Received, "xzdkszhwsbl2kpxj6se3sqsble", new string('a', 64), 1, 0.93, 1.0, 1.1, "accepted");
            var append = Stopwatch.StartNew();
            using (AuditLog log = AuditLog.Open(path, TimeProvider.System, NullLogger<AuditLog>.Instance))
            {
                for (int i = 0; i < count; i++)
                {
                    log.Append(record with { Sequence = i });
                }
            }

            append.Stop();
            var verify = Stopwatch.StartNew();
            AuditVerifyResult result = AuditVerifier.VerifyFile(path);
            verify.Stop();
            if (!result.Intact || result.Entries != count)
            {
                throw new InvalidOperationException($"benchmark log did not verify: {result.Break}");
            }

            double appendsPerSecond = count / append.Elapsed.TotalSeconds;
            double meanMicros = append.Elapsed.TotalMicroseconds / count;
            double linesPerSecond = count / verify.Elapsed.TotalSeconds;
            long bytes = new FileInfo(path).Length;
            if (asJson)
            {
                output.WriteLine(BenchMachine.Json(new Dictionary<string, object>
                {
                    ["entries"] = count,
                    ["bytes"] = bytes,
                    ["append_per_second"] = Math.Round(appendsPerSecond, 1),
                    ["append_mean_us"] = Math.Round(meanMicros, 1),
                    ["verify_lines_per_second"] = Math.Round(linesPerSecond, 1),
                }));
            }
            else
            {
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"audit append (fsync each): {count} entries, {appendsPerSecond:F0}/s, mean {meanMicros:F1} us; log {bytes} bytes"));
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"audit verify: {linesPerSecond:F0} lines/s"));
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
