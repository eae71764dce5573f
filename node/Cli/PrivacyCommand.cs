using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using FedMesh.Node.Cli;
using FedMesh.Node.Configuration;
using FedMesh.Node.Hosting;
using FedMesh.Node.Storage;

namespace FedMesh.Node.Privacy;

/// <summary>
/// `fedmesh privacy [--config FILE] [--state-dir DIR] [--json]`: the report of the ledger the daemon writes
/// (<see cref="StatePaths.PrivacyLedger"/>), against the node's configured budget. The node is found by the
/// convention every command uses (<see cref="NodeLocator"/>); the ledger is opened with the same options the daemon
/// uses (<see cref="ConfiguredPrivacy.For"/>), so the spent ε and the next-release prediction are the daemon's.
/// </summary>
public static class PrivacyCommand
{
    /// <summary>Releases listed in the text report by default: the recent history without flooding a terminal.</summary>
    private const int DefaultLimit = 20;

    public static Command Create()
    {
        var config = NodeLocator.ConfigOption();
        var stateDir = NodeLocator.StateDirOption();
        var json = new Option<bool>("--json") { Description = "Print the report as JSON (all releases)" };
        var budget = new Option<double?>("--budget-epsilon")
        {
            Description = $"Privacy budget ε to report against (default: privacy.epsilon_budget of the configuration, {PrivacySection.Default.EpsilonBudget} if unset)",
        };
        var delta = new Option<double?>("--delta") { Description = "δ of the (ε, δ) guarantee (default: privacy.delta of the configuration)" };
        var limit = new Option<int>("--limit")
        {
            Description = "Most recent releases listed in the text report",
            DefaultValueFactory = _ => DefaultLimit,
        };

        var acknowledge = new Option<bool>("--acknowledge-truncation")
        {
            Description = "The ledger is shorter than its anchor (records were cut off): charge the missing records conservatively and allow releases again. Stop the node first; prefer restoring the ledger from a backup.",
        };

        var command = new Command("privacy", "Report the privacy ledger: releases and ε spent against the budget.");
        command.Options.Add(config);
        command.Options.Add(acknowledge);
        command.Options.Add(stateDir);
        command.Options.Add(json);
        command.Options.Add(budget);
        command.Options.Add(delta);
        command.Options.Add(limit);
        command.Subcommands.Add(PrivacyPlanCommand.Create());
        command.SetAction(parse =>
        {
            TextWriter output = parse.InvocationConfiguration.Output;
            TextWriter error = parse.InvocationConfiguration.Error;
            if (!NodeLocator.TryResolve(parse.GetValue(config), parse.GetValue(stateDir), requireConfig: false, requireState: true, out NodeLocation? node, out string problem))
            {
                error.WriteLine($"fedmesh privacy: {problem}");
                return 1;
            }

            PrivacySection section = node.Options.Privacy;
            section = section with
            {
                EpsilonBudget = parse.GetValue(budget) ?? section.EpsilonBudget,
                Delta = parse.GetValue(delta) ?? section.Delta,
            };
            PrivacyOptions options = ConfiguredPrivacy.For(section, node.State);
            return parse.GetValue(acknowledge)
                ? AcknowledgeTruncation(node.State, options, output, error)
                : Run(node.State, ConfiguredPrivacy.Enabled(section), parse.GetValue(json), options, parse.GetValue(limit), output, error);
        });
        return command;
    }

    /// <summary>Exit code of a report on a truncated ledger (records cut off its end; see <see cref="PrivacyLedger.AcknowledgeTruncation"/>).</summary>
    public const int TruncatedExitCode = 3;

    /// <summary>Writes the report of the ledger in <paramref name="state"/>; returns the exit code (0 ok, 1 bad
    /// arguments or not a node's state directory, 2 unreadable ledger, 3 truncated ledger).</summary>
    /// <param name="dpEnabled">Whether the node's configuration has DP on (said in the report: with DP off
    /// nothing new is charged, whatever the ledger holds from earlier).</param>
    public static int Run(StatePaths state, bool dpEnabled, bool asJson, PrivacyOptions options, int limit, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        IReadOnlyList<string> invalid = options.Validate();
        if (invalid.Count > 0 || limit < 0)
        {
            error.WriteLine($"fedmesh privacy: {string.Join("; ", limit < 0 ? [.. invalid, $"--limit must be >= 0, got {limit}"] : invalid)}");
            return 1;
        }

        string path = state.PrivacyLedger;
        bool exists = File.Exists(path);

        // An absent ledger means "nothing released" only in a node's state directory; anywhere else it is a wrong path.
        if (!exists && !File.Exists(state.IdentityKey))
        {
            error.WriteLine($"fedmesh privacy: {state.Root} is not a node's state directory (neither {Path.GetFileName(path)} nor {Path.GetFileName(state.IdentityKey)} is there)");
            return 1;
        }

        try
        {
            using PrivacyLedger ledger = PrivacyLedger.OpenReadOnly(path, options);
            var report = new PrivacyReport(path, exists, dpEnabled, ledger.GetStatus(), ledger.TornTailMessage, ledger.Entries);
            if (asJson)
            {
                output.WriteLine(JsonSerializer.Serialize(report, PrivacyReportJsonContext.Default.PrivacyReport));
            }
            else
            {
                WriteText(report, limit, output);
            }

            // A compliance tool must not say "ok" for a ledger that lost records: the report is printed, and the
            // exit code tells scripts that releases are refused until an operator acts.
            return report.Status.State == PrivacyBudgetState.Truncated ? TruncatedExitCode : 0;
        }
        catch (Exception ex) when (ex is LedgerCorruptException or IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"fedmesh privacy: {ex.Message}");
            return 2;
        }
    }

    /// <summary><c>--acknowledge-truncation</c>: see <see cref="PrivacyLedger.AcknowledgeTruncation"/>. Exit 0 done
    /// (or nothing to do), 2 when the ledger cannot be opened for writing (e.g. the node is running).</summary>
    public static int AcknowledgeTruncation(StatePaths state, PrivacyOptions options, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        string path = state.PrivacyLedger;
        try
        {
            output.WriteLine(PrivacyLedger.AcknowledgeTruncation(path, options));
            return 0;
        }
        catch (Exception ex) when (ex is LedgerCorruptException or IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"fedmesh privacy: {ex.Message} (stop the node before acknowledging a truncation)");
            return 2;
        }
    }

    private static void WriteText(PrivacyReport report, int limit, TextWriter output)
    {
        CultureInfo inv = CultureInfo.InvariantCulture;
        PrivacyBudgetStatus s = report.Status;
        output.WriteLine(string.Create(inv, $"ledger      {report.Path}{(report.Exists ? string.Empty : " (absent: nothing released yet)")}"));
        if (!report.DpEnabled)
        {
            output.WriteLine("dp          off in the configuration (privacy.level = \"off\"): deltas leave without noise and are not charged");
        }

        output.WriteLine(string.Create(inv, $"releases    {s.Releases}{(s.TornRecordsCharged > 0 ? $" (+{s.TornRecordsCharged} torn record(s) charged)" : string.Empty)}"));
        output.WriteLine(string.Create(inv, $"epsilon     {s.SpentEpsilon:F4} of {s.BudgetEpsilon} at delta {s.Delta} ({s.FractionSpent * 100:F1}%, best order {s.BestOrder}; classic conversion {s.SpentEpsilonClassic:F4})"));
        output.WriteLine(report.DpEnabled
            ? string.Create(inv, $"remaining   {s.RemainingEpsilon:F4} (next release would reach {s.NextReleaseEpsilon:F4})")
            : string.Create(inv, $"remaining   {s.RemainingEpsilon:F4}"));
        output.WriteLine(report.DpEnabled
            ? string.Create(inv, $"state       {s.State.ToString().ToLowerInvariant()}: {s.Message}")
            : string.Create(inv, $"state       off: the ε above is what releases made while DP was on spent"));
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
}

/// <summary>What `fedmesh privacy --json` prints.</summary>
public sealed record PrivacyReport(string Path, bool Exists, bool DpEnabled, PrivacyBudgetStatus Status, string? TornTail, IReadOnlyList<LedgerEntry> Entries);

[JsonSourceGenerationOptions(WriteIndented = true, UseStringEnumConverter = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(PrivacyReport))]
internal sealed partial class PrivacyReportJsonContext : JsonSerializerContext;
