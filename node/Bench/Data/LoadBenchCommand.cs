using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using FedMesh.Node.Data.Corpora;
using FedMesh.Node.Data.Redaction;
using FedMesh.Protocol.IO;

namespace FedMesh.Node.Data.Cli;

/// <summary>
/// `fedmesh-bench load`: end-to-end loader throughput (read, UTF-8 and JSON checks, extraction, default redaction)
/// on the SOTU corpus written to a scratch folder as one .jsonl and one .jsonl.gz file.
/// </summary>
public static class LoadBenchCommand
{
    public static Command Create(TimeProvider? time = null)
    {
        var clock = time ?? TimeProvider.System;
        var repeat = BenchRuns.RepeatOption();
        var json = BenchRuns.JsonOption();
        var command = new Command("load", "Data-folder loader throughput on the SOTU corpus (jsonl and jsonl.gz).") { repeat, json };
        command.SetAction(parse =>
        {
            if (!BenchRuns.TryGetRuns(parse, repeat, out int runs))
            {
                return 2;
            }

            string folder = Directory.CreateTempSubdirectory("fedmesh-bench-load-").FullName;
            try
            {
                var results = new[] { ("jsonl", false), ("jsonl.gz", true) }
                    .Select(f => Measure(folder, f.Item1, f.Item2, runs, clock)).ToArray();
                if (parse.GetValue(json))
                {
                    Console.WriteLine(FedMesh.Node.Cli.BenchMachine.Json(new { corpus = "sotu", runs, results }));
                }
                else
                {
                    foreach (var r in results)
                    {
                        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                            $"{r.Format,-9} {r.Documents} documents, {r.Chars} chars: best {r.Seconds:0.000} s, {r.MegaCharsPerSecond:0.0} M chars/s"));
                    }
                }

                return 0;
            }
            finally
            {
                Directory.Delete(folder, recursive: true);
            }
        });
        return command;
    }

    private static Result Measure(string root, string extension, bool compressed, int runs, TimeProvider clock)
    {
        string folder = Directory.CreateDirectory(Path.Combine(root, extension)).FullName;
        var buffer = new MemoryStream();
        Stream sink = compressed ? new System.IO.Compression.GZipStream(buffer, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true) : buffer;
        using (var writer = new Utf8JsonWriter(sink))
        {
            foreach (var address in SotuCorpus.ReadShipped())
            {
                JsonSerializer.Serialize(writer, new { text = address.Text });
                writer.Flush();
                sink.WriteByte((byte)'\n');
                writer.Reset();
            }
        }

        sink.Dispose();
        AtomicFile.Write(Path.Combine(folder, "sotu." + extension), buffer.ToArray());

        var loader = new LocalDataLoader(DataLoadOptions.Default, new Redactor(RedactionOptions.Default));
        LocalDataSet? data = null;
        double best = BenchRuns.Best(runs, clock, () => data = loader.Load(folder));

        return new Result(extension, data!.Report.DocumentsLoaded, data.Report.CharactersLoaded, best, data.Report.CharactersLoaded / best / 1e6);
    }

    private sealed record Result(string Format, int Documents, long Chars, double Seconds, double MegaCharsPerSecond);
}
