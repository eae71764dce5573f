using FedMesh.NetSim.Hosting;
using FedMesh.Protocol.IO;
using ScottPlot;

namespace FedMesh.NetSim.Output;

/// <summary>PNG plots of a run's main curves (ScottPlot 5, rendered by SkiaSharp's bundled Linux native assets).</summary>
public static class Plots
{
    /// <summary>800×500: readable in a report or a terminal image viewer, ~50 KB per file.</summary>
    internal const int Width = 800;

    internal const int Height = 500;

    /// <summary>Writes loss.png, distance.png and (with privacy) epsilon.png.</summary>
    public static void Write(SimulationResult result, string directory)
    {
        ArgumentNullException.ThrowIfNull(result);
        double[] rounds = result.Summaries.Select(s => (double)s.Round).ToArray();
        Save(Path.Combine(directory, "loss.png"), $"{result.Scenario}: held-out loss (honest mean)", "loss", log: true,
            (rounds, result.Summaries.Select(s => s.MeanLoss).ToArray(), "mean loss"));
        (double[], double[], string)[] distances =
        [
            (rounds, result.Summaries.Select(s => s.MeanDistanceToOptimum).ToArray(), "mean to optimum"),
            (rounds, result.Summaries.Select(s => s.MaxDistanceToOptimum).ToArray(), "max to optimum"),
            (rounds, result.Summaries.Select(s => s.MeanDistanceToConsensus).ToArray(), "mean to consensus"),
        ];
        // The real learner has no known optimum (NaN): only the distance to consensus is drawn then.
        Save(Path.Combine(directory, "distance.png"), $"{result.Scenario}: distance (honest nodes)", "L2 distance", log: true,
            distances.Where(d => d.Item2.Any(double.IsFinite)).ToArray());
        Comparison.Plot(result, directory);
        if (result.Summaries.Any(s => s.MaxEpsilon > 0))
        {
            Save(Path.Combine(directory, "epsilon.png"), $"{result.Scenario}: privacy spent", "ε (max over nodes)", log: false,
                (rounds, result.Summaries.Select(s => s.MaxEpsilon).ToArray(), "max ε"));
        }
    }

    private static void Save(string path, string title, string yLabel, bool log, params (double[] X, double[] Y, string Label)[] series)
    {
        var plot = new Plot();
        plot.Title(title);
        plot.XLabel("round");
        plot.YLabel(log ? $"log10 {yLabel}" : yLabel);
        foreach ((double[] x, double[] y, string label) in series)
        {
            // Log scale by plotting log10 (ScottPlot 5 has no native log axis); non-positive values are left out.
            double[] ys = log ? y.Select(v => v > 0 ? Math.Log10(v) : double.NaN).ToArray() : y;
            var scatter = plot.Add.Scatter(x, ys);
            scatter.LegendText = label;
            scatter.MarkerSize = 0;
        }

        plot.ShowLegend();
        AtomicFile.Write(path, plot.GetImageBytes(Width, Height, ImageFormat.Png));
    }
}
