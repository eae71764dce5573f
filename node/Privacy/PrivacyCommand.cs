using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace FedMesh.Node.Privacy;

/// <summary>`fedmesh privacy [--state-dir DIR] [--json]`: the privacy ledger report (releases, ε spent vs budget).</summary>
public static class PrivacyCommand
{
    /// <summary>Environment variable naming the node's state directory when --state-dir is not given.</summary>
    public const string StateDirVariable = "FEDMESH_STATE_DIR";

    /// <summary>Releases listed in the text report by default: the recent history without flooding a terminal.</summary>
    private const int DefaultLimit = 20;

    public static Command Create()
    {
        var stateDir = new Option<string>("--state-dir")
        {
            Description = $"Node state directory holding {PrivacyLedger.FileName} (default: ${StateDirVariable}, else ~/.local/state/fedmesh)",
            DefaultValueFactory = _ => DefaultStateDir(),
        };
        var json = new Option<bool>("--json") { Description = "Print the report as JSON (all releases)" };
        var budget = new Option<double>("--budget-epsilon")
        {
            Description = "Privacy budget ε to report against (the node's configured value)",
            DefaultValueFactory = _ => PrivacyOptions.Default.BudgetEpsilon,
        };
        var delta = new Option<double>("--delta")
        {
            Description = "δ of the (ε, δ) guarantee",
            DefaultValueFactory = _ => PrivacyOptions.Default.BudgetDelta,
        };
        var limit = new Option<int>("--limit")
        {
            Description = "Most recent releases listed in the text report",
            DefaultValueFactory = _ => DefaultLimit,
        };

        var command = new Command("privacy", "Report the privacy ledger: releases and ε spent against the budget.");
        command.Options.Add(stateDir);
        command.Options.Add(json);
        command.Options.Add(budget);
        command.Options.Add(delta);
        command.Options.Add(limit);
        command.Subcommands.Add(PrivacyPlanCommand.Create());
        command.SetAction(parse => Run(
            parse.GetValue(stateDir)!,
            parse.GetValue(json),
            PrivacyOptions.Default with { BudgetEpsilon = parse.GetValue(budget), BudgetDelta = parse.GetValue(delta) },
            parse.GetValue(limit),
            Console.Out,
            Console.Error));
        return command;
    }

    /// <summary>Writes the report; returns the exit code (0 ok, 1 bad arguments, 2 unreadable ledger).</summary>
    public static int Run(string stateDir, bool asJson, PrivacyOptions options, int limit, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        IReadOnlyList<string> invalid = options.Validate();
        if (invalid.Count > 0 || limit < 0)
        {
            error.WriteLine($"fedmesh privacy: {string.Join("; ", limit < 0 ? [.. invalid, $"--limit must be >= 0, got {limit}"] : invalid)}");
            return 1;
        }

        string path = Path.Combine(stateDir, PrivacyLedger.FileName);
        try
        {
            using PrivacyLedger ledger = PrivacyLedger.OpenReadOnly(path, options);
            var report = new PrivacyReport(path, File.Exists(path), ledger.GetStatus(), ledger.TornTailMessage, ledger.Entries);
            if (asJson)
            {
                output.WriteLine(JsonSerializer.Serialize(report, PrivacyReportJsonContext.Default.PrivacyReport));
            }
            else
            {
                WriteText(report, limit, output);
            }

            return 0;
        }
        catch (Exception ex) when (ex is LedgerCorruptException or IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"fedmesh privacy: {ex.Message}");
            return 2;
        }
    }

    private static void WriteText(PrivacyReport report, int limit, TextWriter output)
    {
        CultureInfo inv = CultureInfo.InvariantCulture;
        PrivacyBudgetStatus s = report.Status;
        output.WriteLine(string.Create(inv, $"ledger      {report.Path}{(report.Exists ? string.Empty : " (absent: nothing released)")}"));
        output.WriteLine(string.Create(inv, $"releases    {s.Releases}{(s.TornRecordsCharged > 0 ? $" (+{s.TornRecordsCharged} torn record(s) charged)" : string.Empty)}"));
        output.WriteLine(string.Create(inv, $"epsilon     {s.SpentEpsilon:F4} of {s.BudgetEpsilon} at delta {s.Delta} ({s.FractionSpent * 100:F1}%, best order {s.BestOrder}; classic conversion {s.SpentEpsilonClassic:F4})"));
        output.WriteLine(string.Create(inv, $"remaining   {s.RemainingEpsilon:F4} (next release would reach {s.NextReleaseEpsilon:F4})"));
        output.WriteLine(string.Create(inv, $"state       {s.State.ToString().ToLowerInvariant()}: {s.Message}"));
        if (report.TornTail is { } torn)
        {
            output.WriteLine(string.Create(inv, $"torn tail   {torn}"));
        }

        IReadOnlyList<LedgerEntry> shown = report.Entries.Skip(Math.Max(0, report.Entries.Count - limit)).ToArray();
        if (shown.Count == 0)
        {
            return;
        }

        output.WriteLine();
        output.WriteLine($"{"seq",6}  {"time (UTC)",-20}  {"sigma",6}  {"q",10}  {"steps",7}  {"C",7}  {"eps",9}  content");
        foreach (LedgerEntry e in shown)
        {
            string content = e.IsTornCharge ? "(torn record, charged)" : e.ContentId ?? "-";
            output.WriteLine(string.Create(inv, $"{e.Sequence,6}  {e.Time.UtcDateTime,-20:yyyy-MM-dd HH:mm:ss}  {e.Release.NoiseMultiplier,6:G4}  {e.Release.SamplingRate,10:G6}  {e.Release.Steps,7}  {e.Release.ClipNorm,7:G4}  {e.EpsilonAfter,9:F4}  {content}"));
        }
    }

    private static string DefaultStateDir()
    {
        string? fromEnv = Environment.GetEnvironmentVariable(StateDirVariable);
        return !string.IsNullOrEmpty(fromEnv)
            ? fromEnv
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "state", "fedmesh");
    }
}

/// <summary>What `fedmesh privacy --json` prints.</summary>
public sealed record PrivacyReport(string Path, bool Exists, PrivacyBudgetStatus Status, string? TornTail, IReadOnlyList<LedgerEntry> Entries);

[JsonSourceGenerationOptions(WriteIndented = true, UseStringEnumConverter = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(PrivacyReport))]
internal sealed partial class PrivacyReportJsonContext : JsonSerializerContext;
