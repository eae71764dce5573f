using System.CommandLine;
using FedMesh.Node.Data.Corpora;
using FedMesh.Node.Data.Redaction;
using System.Globalization;
using FedMesh.Node.Cli;
using FedMesh.Node.Configuration;
using FedMesh.Node.Hosting;
using FedMesh.Node.Learning;
using Microsoft.Extensions.Logging.Abstractions;

namespace FedMesh.Node.Data.Cli;

/// <summary>
/// `fedmesh data …`: look at training data without training. `data check [FOLDER] [--config F] [--show N]` loads a
/// data folder exactly as the node does (its configured redaction, default bounds, the same train/held-out split) and
/// prints the load report with every skip's file and line; `data sotu` prints the demo federation's
/// split of the shipped SOTU corpus.
/// </summary>
public static class DataCommand
{
    public static Command Create()
    {
        var data = new Command("data", "Inspect training data: a local data folder or the shipped SOTU demo split.");
        data.Subcommands.Add(CheckCommand());
        data.Subcommands.Add(SotuCommand());
        return data;
    }

    /// <summary>Characters of each document `--show` prints: a screenful, enough to judge the redaction.</summary>
    private const int ShowChars = 2000;

    private static Command CheckCommand()
    {
        var folder = new Argument<string?>("folder") { Description = "The data folder (.txt, .jsonl, .jsonl.gz files; default: data.folder of the configuration).", Arity = ArgumentArity.ZeroOrOne };
        var config = NodeLocator.ConfigOption();
        var show = new Option<int>("--show") { Description = "Print the first N documents as the node will train on them (after redaction)." };
        var command = new Command("check", "Load a data folder as the node does (its redaction patterns and dropped fields, bounds, train/held-out split) and print the report; exit 1 when the node could not train on it.")
        {
            folder, config, show,
        };
        command.SetAction(parse =>
        {
            TextWriter output = parse.InvocationConfiguration.Output;
            TextWriter error = parse.InvocationConfiguration.Error;
            if (!NodeLocator.TryResolve(parse.GetValue(config), null, requireConfig: false, requireState: false, out NodeLocation? node, out string problem))
            {
                error.WriteLine($"fedmesh data check: {problem}");
                return 2;
            }

            return Check(node, parse.GetValue(folder), Math.Max(0, parse.GetValue(show)), output, error);
        });
        return command;
    }

    /// <summary>The check itself; returns the exit code (0 trainable, 1 the node could not train on it, 2 usage).</summary>
    internal static int Check(NodeLocation node, string? folder, int show, TextWriter output, TextWriter error)
    {
        NodeOptions options = node.Options;
        string path = Path.GetFullPath(folder ?? options.Data.Folder);
        string redactionFrom = node.ConfigPath is null ? "built-in defaults" : node.ConfigPath;
        Redactor redactor;
        try
        {
            redactor = new Redactor(NodeFactory.Redaction(options.Data));
        }
        catch (ArgumentException ex)
        {
            error.WriteLine($"fedmesh data check: {ex.Message}");
            return 2;
        }

        LocalDataSet data;
        try
        {
            data = new LocalDataLoader(DataLoadOptions.Default, redactor, NullLogger<LocalDataLoader>.Instance).Load(path);
        }
        catch (DirectoryNotFoundException ex)
        {
            error.WriteLine($"fedmesh data check: {ex.Message}{(folder is null ? " (data.folder)" : string.Empty)}");
            return 2;
        }

        output.WriteLine($"folder      {path}");
        output.WriteLine($"redaction   {redactionFrom}: built-in rules {(options.Data.RedactionRules ? "on" : "off")}, {options.Data.RedactionPatterns.Count} pattern(s), {options.Data.DropJsonFields.Count} dropped JSON field(s)");
        output.WriteLine($"loaded      {data.Report}");
        foreach (DataSkip skip in data.Report.Skips)
        {
            output.WriteLine($"skipped     {skip}");
        }

        int skipped = data.Report.FilesSkipped.Values.Sum() + data.Report.DocumentsSkipped.Values.Sum();
        if (skipped > data.Report.Skips.Count)
        {
            output.WriteLine($"skipped     … {skipped - data.Report.Skips.Count} more (only the first {DataLoadReport.MaxRecordedSkips} are listed)");
        }

        TrainingSplit split = TrainingSplit.Create(data, (ulong)options.Node.Seed, options.Data.HoldoutFraction);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"split       train {split.Train.Count} documents, {split.TrainBytes} bytes; held out {split.Holdout.Count}, {split.HoldoutBytes} bytes{(split.SubDocument ? " (too few documents: each document is cut, its tail held out)" : string.Empty)}"));
        foreach (LocalDocument document in data.Documents.Take(show))
        {
            output.WriteLine();
            output.WriteLine($"--- {document.Source} ({document.Text.Length} chars{(document.Text.Length > ShowChars ? $", first {ShowChars} shown" : string.Empty)})");
            output.WriteLine(document.Text.Length > ShowChars ? document.Text[..ShowChars] : document.Text);
        }

        int context = NodeFactory.ModelSizes.TryGetValue(options.Learning.ModelSize, out ModelOptions? model) ? model.Context : ModelOptions.Default.Context;
        string? cannotTrain = data.Documents.Count == 0
            ? $"data.folder {path} holds no usable documents: `fedmesh run` would not start"
            : split.Problem(context, path, options.Data.HoldoutFraction);
        if (cannotTrain is not null)
        {
            error.WriteLine($"warning: {cannotTrain}");
            return 1;
        }

        return 0;
    }

    private static Command SotuCommand()
    {
        var nodes = new Option<int>("--nodes") { Description = "Number of nodes.", DefaultValueFactory = _ => 4 };
        var iid = new Option<bool>("--iid") { Description = "Shuffle addresses (IID) instead of splitting by era." };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the held-out choice and IID shuffle.", DefaultValueFactory = _ => SotuSplitOptions.Default.Seed };
        var holdout = new Option<double>("--holdout") { Description = "Share of addresses held out globally.", DefaultValueFactory = _ => SotuSplitOptions.Default.HoldoutFraction };
        var command = new Command("sotu", "Print how the shipped SOTU corpus is split among the nodes of a demo federation.")
        {
            nodes, iid, seed, holdout,
        };
        command.SetAction(parse =>
        {
            var options = SotuSplitOptions.Default with
            {
                Mode = parse.GetValue(iid) ? SotuSplitMode.Iid : SotuSplitMode.Era,
                Seed = parse.GetValue(seed),
                HoldoutFraction = parse.GetValue(holdout),
            };
            try
            {
                var partition = SotuPartition.Create(SotuCorpus.ReadShipped(), parse.GetValue(nodes), options);
                foreach (var shard in partition.Shards)
                {
                    Console.WriteLine(shard.Describe());
                }

                Console.WriteLine($"held out: {partition.Holdout.Count} addresses ({string.Join(", ", partition.Holdout.Select(a => a.Year))}), "
                    + CharCount.Format(partition.Holdout.Sum(a => (long)a.Text.Length)));
                return 0;
            }
            catch (Exception ex) when (ex is ArgumentOutOfRangeException or IOException or InvalidDataException)
            {
                Console.Error.WriteLine(ex.Message);
                return 2;
            }
        });
        return command;
    }
}
