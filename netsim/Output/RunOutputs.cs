using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using FedMesh.NetSim.Hosting;
using FedMesh.Protocol.IO;

namespace FedMesh.NetSim.Output;

/// <summary>
/// Writes a run's outputs: <c>nodes/node-NNNN.csv</c> (one row per round), <c>rounds.csv</c> (honest-node means),
/// <c>events.log</c>, <c>summary.json</c> and, optionally, PNG plots. Numbers are formatted with the invariant
/// culture and round-trip precision and nothing depends on the wall clock, so the files of two runs of the same
/// scenario and seed are byte-identical (<see cref="Digest"/> checks that).
/// </summary>
public static class RunOutputs
{
    public const string NodeHeader = "round,node,byzantine,up,loss,distance_to_consensus,distance_to_optimum,epsilon,bytes_in,bytes_out,peers,merged,rejected,adopted";

    public const string RoundHeader = "round,honest_up,mean_loss,mean_distance_to_consensus,mean_distance_to_optimum,max_distance_to_optimum,max_epsilon,bytes_in,bytes_out";

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true };

    /// <summary>Writes every output file (atomically each) into <paramref name="directory"/>.</summary>
    public static void Write(SimulationResult result, string directory, bool plots)
    {
        ArgumentNullException.ThrowIfNull(result);
        string nodes = Path.Combine(directory, "nodes");
        Directory.CreateDirectory(nodes);
        foreach (IGrouping<int, NodeRoundRecord> node in result.Records.GroupBy(r => r.Node).OrderBy(g => g.Key))
        {
            var csv = new StringBuilder(NodeHeader).Append('\n');
            foreach (NodeRoundRecord r in node)
            {
                csv.Append(CultureInfo.InvariantCulture, $"{r.Round},{r.Node},{Bit(r.Byzantine)},{Bit(r.Up)},{F(r.Loss)},{F(r.DistanceToConsensus)},{F(r.DistanceToOptimum)},{F(r.Epsilon)},{r.BytesIn},{r.BytesOut},{r.Peers},{r.Merged},{r.Rejected},{Bit(r.Adopted)}\n");
            }

            AtomicFile.Write(Path.Combine(nodes, $"node-{node.Key:D4}.csv"), Encoding.UTF8.GetBytes(csv.ToString()));
        }

        var rounds = new StringBuilder(RoundHeader).Append('\n');
        foreach (RoundSummary s in result.Summaries)
        {
            rounds.Append(CultureInfo.InvariantCulture, $"{s.Round},{s.HonestUp},{F(s.MeanLoss)},{F(s.MeanDistanceToConsensus)},{F(s.MeanDistanceToOptimum)},{F(s.MaxDistanceToOptimum)},{F(s.MaxEpsilon)},{s.BytesIn},{s.BytesOut}\n");
        }

        AtomicFile.Write(Path.Combine(directory, "rounds.csv"), Encoding.UTF8.GetBytes(rounds.ToString()));
        AtomicFile.Write(Path.Combine(directory, "events.log"), Encoding.UTF8.GetBytes(string.Concat(result.EventLog.Select(l => l + "\n"))));
        AtomicFile.Write(Path.Combine(directory, "summary.json"), Encoding.UTF8.GetBytes(SummaryJson(result) + "\n"));
        if (plots)
        {
            Plots.Write(result, directory);
        }
    }

    /// <summary>The deterministic summary (no wall-clock figures) as JSON.</summary>
    public static string SummaryJson(SimulationResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        RoundSummary? last = result.Summaries.Count > 0 ? result.Summaries[^1] : null;
        return JsonSerializer.Serialize(new
        {
            scenario = result.Scenario,
            seed = result.Seed,
            nodes = result.Nodes,
            rounds = result.Rounds,
            final_mean_loss = last?.MeanLoss,
            // NaN (no known optimum: the real learner) is not JSON; it is written as null.
            final_mean_distance_to_optimum = Finite(last?.MeanDistanceToOptimum),
            final_max_distance_to_optimum = Finite(last?.MaxDistanceToOptimum),
            final_mean_distance_to_consensus = last?.MeanDistanceToConsensus,
            final_max_epsilon = last?.MaxEpsilon,
            messages_sent = result.MessagesSent,
            messages_dropped = result.MessagesDropped,
            bytes_delivered = result.BytesDelivered,
            deltas_verified = result.DeltasVerified,
            deltas_rejected = result.DeltasRejected,
            events_run = result.EventsRun,
            comparison = Comparison.Json(result),
        }, Json);
    }

    /// <summary>SHA-256 over every file under <paramref name="directory"/> (relative path and content, in ordinal
    /// path order), lowercase hex; <paramref name="include"/> filters files (null = all).</summary>
    public static string Digest(string directory, Func<string, bool>? include = null)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (string file in Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories)
                     .Select(f => Path.GetRelativePath(directory, f).Replace('\\', '/'))
                     .Where(f => include?.Invoke(f) ?? true)
                     .Order(StringComparer.Ordinal))
        {
            hash.AppendData(Encoding.UTF8.GetBytes(file + "\n"));
            hash.AppendData(File.ReadAllBytes(Path.Combine(directory, file)));
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static double? Finite(double? value) => value is { } v && double.IsFinite(v) ? v : null;

    private static string F(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static char Bit(bool value) => value ? '1' : '0';
}
