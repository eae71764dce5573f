using System.Text.Json;
using System.Text.RegularExpressions;
using FedMesh.Node.Metrics;
using FedMesh.Node.Mesh;

namespace FedMesh.Node.Tests.Monitoring;

/// <summary>
/// Issue 17: the shipped Grafana dashboard and Prometheus alert rules (node/deploy/monitoring) refer only to metrics
/// a node exports, the rules pass <c>promtool check rules</c>, and <c>promtool test rules</c> fires each alert on
/// synthetic series (and keeps it quiet before its condition held long enough).
/// </summary>
public sealed partial class MonitoringFilesTests
{
    private static readonly string Folder = Path.Combine(ExternalTools.RepositoryRoot(), "node", "deploy", "monitoring");

    /// <summary>Metric names the node's own families use, plus Prometheus's <c>up</c>.</summary>
    [GeneratedRegex(@"\b(?:fedmesh|process|dotnet)_[a-z0-9_]+\b|\bup\b")]
    private static partial Regex MetricName();

    [Fact]
    public async Task Every_metric_in_the_dashboard_and_the_rules_is_one_the_node_exports()
    {
        IReadOnlySet<string> exported = await ExportedAsync();
        var referenced = new Dictionary<string, string>();
        foreach (string expr in DashboardExpressions().Concat(RuleExpressions()))
        {
            foreach (Match m in MetricName().Matches(expr))
            {
                referenced.TryAdd(m.Value, expr);
            }
        }

        Assert.True(referenced.Count > 20, $"only {referenced.Count} metrics referenced");
        string[] unknown = referenced.Keys.Where(n => n != "up" && !exported.Contains(n)).Select(n => $"{n} (in {referenced[n]})").ToArray();
        Assert.True(unknown.Length == 0, "not exported by the node: " + string.Join("; ", unknown));
    }

    [Fact]
    public void The_dashboard_covers_mesh_rounds_bpc_drift_privacy_bytes_peers_and_trust()
    {
        string all = string.Join('\n', DashboardExpressions());
        foreach (string metric in new[]
        {
            "fedmesh_peers", "fedmesh_rounds_total", "fedmesh_heldout_bpc", "fedmesh_drift_bpc_gap", "fedmesh_drift_distance",
            "fedmesh_peer_divergence", "fedmesh_privacy_epsilon_spent", "fedmesh_bytes_sent_total", "fedmesh_peer_trust",
            "fedmesh_gate_rejections_total", "fedmesh_build_info",
        })
        {
            Assert.Contains(metric, all, StringComparison.Ordinal);
        }
    }

    [PromtoolFact]
    public void Promtool_checks_the_rules()
    {
        (int exit, string output) = ExternalTools.Run(Promtool.Path!, ["check", "rules", "fedmesh-alerts.yml"], workingDirectory: Folder);
        Assert.True(exit == 0, output);
        Assert.Contains("SUCCESS: 7 rules found", output, StringComparison.Ordinal);
    }

    [PromtoolFact]
    public void Promtool_fires_each_alert_on_synthetic_series()
    {
        (int exit, string output) = ExternalTools.Run(Promtool.Path!, ["test", "rules", "fedmesh-alerts.test.yml"], workingDirectory: Folder);
        Assert.True(exit == 0, output);
        Assert.Contains("SUCCESS", output, StringComparison.Ordinal);
        // Each rule of the rules file has a test case that expects it to fire.
        string tests = File.ReadAllText(Path.Combine(Folder, "fedmesh-alerts.test.yml"));
        foreach (Match alert in Regex.Matches(File.ReadAllText(Path.Combine(Folder, "fedmesh-alerts.yml")), @"- alert: (\w+)"))
        {
            Assert.Matches($@"alertname: {alert.Groups[1].Value}\s+exp_alerts:\s+- exp_labels", tests);
        }
    }

    /// <summary>Every family a node exports, with the labelled ones given a child so they appear in the scrape.</summary>
    private static async Task<IReadOnlySet<string>> ExportedAsync()
    {
        var metrics = new NodeMetrics();
        metrics.RecordRound(new RoundReport { Round = 1, TrainLoss = 1, PeerDivergence = [new("peer", 1.0)] });
        metrics.Trust.WithLabels("peer").Set(0.5);
        metrics.DeltasRejected.WithLabels("BadSignature").Inc();
        metrics.PrivacyLevel.WithLabels("record").Set(1);
        return await metrics.ExportedNamesAsync(CancellationToken.None);
    }

    private static IEnumerable<string> DashboardExpressions()
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "fedmesh-dashboard.json")));
        var list = new List<string>();
        foreach (JsonElement panel in doc.RootElement.GetProperty("panels").EnumerateArray())
        {
            if (panel.TryGetProperty("targets", out JsonElement targets))
            {
                list.AddRange(targets.EnumerateArray().Select(t => t.GetProperty("expr").GetString()!));
            }
        }

        foreach (JsonElement variable in doc.RootElement.GetProperty("templating").GetProperty("list").EnumerateArray())
        {
            if (variable.GetProperty("type").GetString() == "query")
            {
                list.Add(variable.GetProperty("query").GetString()!);
            }
        }

        return list;
    }

    private static IEnumerable<string> RuleExpressions() =>
        File.ReadAllLines(Path.Combine(Folder, "fedmesh-alerts.yml"))
            .Select(l => l.Trim())
            .Where(l => l.StartsWith("expr:", StringComparison.Ordinal))
            .Select(l => l["expr:".Length..].Trim());
}

/// <summary>promtool (Debian package 'prometheus').</summary>
internal static class Promtool
{
    public static readonly string? Path = ExternalTools.Find("promtool");
}

/// <summary>A fact skipped, saying how to get it run, when promtool is not installed.</summary>
public sealed class PromtoolFactAttribute : FactAttribute
{
    public PromtoolFactAttribute()
    {
        if (Promtool.Path is null)
        {
            Skip = "promtool not found on PATH; install the Debian package 'prometheus' (tests/run.sh does so as root)";
        }
    }
}
