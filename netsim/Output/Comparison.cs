using System.Globalization;
using FedMesh.NetSim.Hosting;
using FedMesh.Protocol.IO;
using ScottPlot;
using Spectre.Console;

namespace FedMesh.NetSim.Output;

/// <summary>
/// The torch scenario's mesh-vs-baselines figures (<see cref="BaselineResult"/>): final bits per byte of every arm, the
/// busiest mesh node's wire bytes against the FedAvg server's, as a table, a summary.json section and bpc.png.
/// </summary>
public static class Comparison
{
    /// <summary>The honest node with the most wire bytes in + out over the whole run (frames incl. headers).</summary>
    public static (int Node, long Bytes) BusiestNode(SimulationResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return result.Records
            .Where(r => !r.Byzantine)
            .GroupBy(r => r.Node)
            .Select(g => (Node: g.Key, Bytes: g.Sum(r => r.BytesIn + r.BytesOut)))
            .OrderByDescending(n => n.Bytes)
            .ThenBy(n => n.Node)
            .FirstOrDefault();
    }

    /// <summary>Mean held-out bpc over the honest up nodes after the last round.</summary>
    public static double MeshBpc(SimulationResult result) =>
        result.Summaries.Count > 0 ? result.Summaries[^1].MeanLoss : double.NaN;

    /// <summary>The summary.json section (null without baselines).</summary>
    public static object? Json(SimulationResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (result.Baselines is not { } b)
        {
            return null;
        }

        (int node, long bytes) = BusiestNode(result);
        return new
        {
            base_bpc = b.BaseBpc,
            local_only_bpc = b.LocalOnlyBpc,
            mesh_bpc = MeshBpc(result),
            fedavg_bpc = b.FedAvgBpc,
            pooled_bpc = b.PooledBpc,
            busiest_node = node,
            busiest_node_bytes = bytes,
            fedavg_server_bytes = b.FedAvgServerBytes,
            payload_bytes = b.PayloadBytes,
            pooled_batch = b.PooledBatch,
            mesh_per_round = result.Summaries.Select(s => s.MeanLoss).ToArray(),
            fedavg_per_round = b.FedAvgPerRound,
            pooled_per_round = b.PooledPerRound,
            local_only_per_node = b.LocalOnlyPerNode,
        };
    }

    /// <summary>The comparison table printed at the end of <c>netsim run</c>.</summary>
    public static void Print(SimulationResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (result.Baselines is not { } b)
        {
            return;
        }

        (int node, long bytes) = BusiestNode(result);
        var table = new Table().Title($"{result.Scenario}: global held-out bits per byte after {result.Rounds} rounds (lower is better)");
        table.AddColumns("arm", "bpc", "wire bytes in+out");
        table.AddRow("base (no adapter)", F(b.BaseBpc), "");
        table.AddRow("local-only (mean over nodes)", F(b.LocalOnlyBpc), "0");
        table.AddRow("mesh (mean over honest nodes)", F(MeshBpc(result)), $"{MiB(bytes)} (busiest: node {node})");
        table.AddRow("FedAvg star", F(b.FedAvgBpc), $"{MiB(b.FedAvgServerBytes)} (server)");
        table.AddRow($"centralized pooled (batch {b.PooledBatch})", F(b.PooledBpc), "");
        AnsiConsole.Write(table);
    }

    /// <summary>bpc.png: mesh (mean) and FedAvg per round; base, local-only and pooled finals as horizontal lines.</summary>
    public static void Plot(SimulationResult result, string directory)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (result.Baselines is not { } b)
        {
            return;
        }

        var plot = new Plot();
        double[] rounds = result.Summaries.Select(s => (double)s.Round).ToArray();
        var mesh = plot.Add.Scatter(rounds, result.Summaries.Select(s => s.MeanLoss).ToArray());
        mesh.LegendText = $"mesh, mean over nodes ({MeshBpc(result):F3})";
        var fedAvg = plot.Add.Scatter(Enumerable.Range(1, b.FedAvgPerRound.Count).Select(r => (double)r).ToArray(), b.FedAvgPerRound.ToArray());
        fedAvg.LegendText = $"FedAvg star ({b.FedAvgBpc:F3})";
        Line(plot, b.BaseBpc, $"base ({b.BaseBpc:F3})", LinePattern.Dotted);
        Line(plot, b.LocalOnlyBpc, $"local-only, final ({b.LocalOnlyBpc:F3})", LinePattern.Dashed);
        Line(plot, b.PooledBpc, $"centralized pooled, final ({b.PooledBpc:F3})", LinePattern.DenselyDashed);
        plot.Title($"{result.Scenario}: global held-out bits per byte (lower is better)");
        plot.XLabel("round");
        plot.YLabel("bits per byte");
        // Outside the data area, so it hides neither the curves nor the reference lines.
        plot.ShowLegend(Edge.Right);
        AtomicFile.Write(Path.Combine(directory, "bpc.png"), plot.GetImageBytes(Plots.Width + 400, Plots.Height, ImageFormat.Png));
    }

    private static void Line(Plot plot, double y, string label, LinePattern pattern)
    {
        var line = plot.Add.HorizontalLine(y);
        line.LegendText = label;
        line.LinePattern = pattern;
    }

    private static string F(double value) => value.ToString("F4", CultureInfo.InvariantCulture);

    private static string MiB(long bytes) => (bytes / 1048576.0).ToString("F2", CultureInfo.InvariantCulture) + " MiB";
}
