using System.CommandLine;
using FedMesh.Node.Data.Corpora;
using FedMesh.Node.Data.Redaction;
using Microsoft.Extensions.Logging.Abstractions;

namespace FedMesh.Node.Data.Cli;

/// <summary>
/// `fedmesh data …`: look at training data without training. `data check FOLDER` loads a data folder exactly as the
/// node does (default bounds and redaction) and prints the load report; `data sotu` prints the demo federation's
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

    private static Command CheckCommand()
    {
        var folder = new Argument<string>("folder") { Description = "The data folder (.txt, .jsonl, .jsonl.gz files)." };
        var command = new Command("check", "Load a data folder with the default bounds and redaction, print the report.") { folder };
        command.SetAction(parse =>
        {
            string path = parse.GetValue(folder)!;
            try
            {
                var loader = new LocalDataLoader(DataLoadOptions.Default, new Redactor(RedactionOptions.Default), NullLogger<LocalDataLoader>.Instance);
                Console.WriteLine(loader.Load(path).Report);
                return 0;
            }
            catch (DirectoryNotFoundException ex)
            {
                Console.Error.WriteLine(ex.Message);
                return 2;
            }
        });
        return command;
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
