namespace FedMesh.Node.Demo;

/// <summary>The demo's PNG: each node's held-out bpc per round, with the final global scores as reference lines.</summary>
internal static class DemoPlot
{
    public static void Save(string path, IReadOnlyList<(int Round, int Node, double Bpc)> history, int nodes, double baseBpc, double meshBpc, double localBpc)
    {
        var plot = new ScottPlot.Plot();
        for (int i = 0; i < nodes; i++)
        {
            double[] xs = history.Where(h => h.Node == i).Select(h => (double)h.Round).ToArray();
            double[] ys = history.Where(h => h.Node == i).Select(h => h.Bpc).ToArray();
            if (xs.Length > 0)
            {
                var line = plot.Add.Scatter(xs, ys);
                line.LegendText = $"node {i + 1} (held-out of its own era)";
            }
        }

        var b = plot.Add.HorizontalLine(baseBpc);
        b.LegendText = $"base, global held-out ({baseBpc:F3})";
        b.LinePattern = ScottPlot.LinePattern.Dotted;
        var l = plot.Add.HorizontalLine(localBpc);
        l.LegendText = $"local-only, global ({localBpc:F3})";
        l.LinePattern = ScottPlot.LinePattern.Dashed;
        if (double.IsFinite(meshBpc))
        {
            var m = plot.Add.HorizontalLine(meshBpc);
            m.LegendText = $"mesh, global ({meshBpc:F3})";
        }

        plot.Title("FedMesh demo: held-out bits per byte (lower is better)");
        plot.XLabel("round");
        plot.YLabel("bits per byte");
        // Outside the data area: inside, it hid the last rounds and the reference lines.
        plot.ShowLegend(ScottPlot.Edge.Right);
        plot.SavePng(path, 1200, 560);
    }
}
