using System.Globalization;
using FedMesh.NetSim.Hosting;
using Spectre.Console;

namespace FedMesh.NetSim.Output;

/// <summary>The table printed at the end of <c>netsim run</c>: the curves at a few rounds, then totals.</summary>
public static class SummaryTable
{
    public static void Print(SimulationResult result, string directory, TimeSpan wall)
    {
        ArgumentNullException.ThrowIfNull(result);
        var table = new Table().Title($"{result.Scenario} (seed {result.Seed}, {result.Nodes} nodes)");
        // The real model has no known optimum (the surrogate's w*): its runs record NaN there and their loss is bits per
        // byte on the global held-out text, so the table says that and leaves the optimum columns out.
        bool knownOptimum = result.Summaries.Any(s => !double.IsNaN(s.MeanDistanceToOptimum));
        if (knownOptimum)
        {
            table.AddColumns("round", "honest up", "mean loss", "mean ‖x−w*‖", "max ‖x−w*‖", "mean ‖x−x̄‖", "max ε", "KiB in (honest)");
        }
        else
        {
            table.AddColumns("round", "honest up", "mean held-out bpc", "mean ‖x−x̄‖", "max ε", "KiB in (honest)");
        }

        int count = result.Summaries.Count;
        int[] shown = new[] { 0, count / 4, count / 2, (3 * count) / 4, count - 1 }.Where(i => i >= 0 && i < count).Distinct().ToArray();
        foreach (RoundSummary s in shown.Select(i => result.Summaries[i]))
        {
            string[] head = [s.Round.ToString(CultureInfo.InvariantCulture), s.HonestUp.ToString(CultureInfo.InvariantCulture), G(s.MeanLoss)];
            string[] optimum = knownOptimum ? [G(s.MeanDistanceToOptimum), G(s.MaxDistanceToOptimum)] : [];
            string[] tail = [G(s.MeanDistanceToConsensus), G(s.MaxEpsilon), (s.BytesIn / 1024.0).ToString("F1", CultureInfo.InvariantCulture)];
            table.AddRow([.. head, .. optimum, .. tail]);
        }

        AnsiConsole.Write(table);
        AnsiConsole.MarkupLineInterpolated(CultureInfo.InvariantCulture,
            $"messages {result.MessagesSent} sent, {result.MessagesDropped} dropped; {result.BytesDelivered / 1048576.0:F1} MiB delivered; deltas {result.DeltasVerified} verified, {result.DeltasRejected} rejected; {result.EventsRun} clock events");
        AnsiConsole.MarkupLineInterpolated(CultureInfo.InvariantCulture, $"wall time {wall.TotalSeconds:F1} s; outputs in {directory}");
    }

    private static string G(double value) => value.ToString("G4", CultureInfo.InvariantCulture);
}
