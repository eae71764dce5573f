using System.CommandLine;

namespace FedMesh.Node.Cli;

/// <summary>Assembles the `fedmesh` command tree. Each area contributes its commands here.</summary>
public static class CliRoot
{
    public static RootCommand Build()
    {
        var root = new RootCommand("FedMesh: a peer-to-peer federated LoRA learning node.");

        var bench = new Command("bench", "Benchmarks that print figures (add --json for machines).");
        root.Subcommands.Add(bench);
        root.Subcommands.Add(FedMesh.Node.Learning.Cli.PretrainCommand.Create());
        bench.Subcommands.Add(FedMesh.Node.Learning.Cli.TrainBenchCommand.Create());

        return root;
    }
}
