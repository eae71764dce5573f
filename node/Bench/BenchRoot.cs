using System.CommandLine;

namespace FedMesh.Node.Bench;

/// <summary>Assembles the <c>fedmesh-bench</c> command tree: the benchmarks that print figures (add --json for
/// machines). They live apart from the <c>fedmesh</c> program so the daemon ships none of their code.</summary>
public static class BenchRoot
{
    public static RootCommand Build()
    {
        var root = new RootCommand("FedMesh benchmarks that print figures (add --json for machines).");
        root.Subcommands.Add(Cli.BenchAuditCommand.Create());
        root.Subcommands.Add(Data.Cli.RedactBenchCommand.Create());
        root.Subcommands.Add(Data.Cli.LoadBenchCommand.Create());
        root.Subcommands.Add(Discovery.DiscoveryBenchCommand.Create());
        root.Subcommands.Add(Merge.Bench.MergeBenchCommands.Merge());
        root.Subcommands.Add(Merge.Bench.MergeBenchCommands.Robustness());
        root.Subcommands.Add(Gossip.Bench.TransferBenchCommand.Create());
        root.Subcommands.Add(Gossip.Bench.GossipBenchCommand.Create());
        root.Subcommands.Add(Gossip.Bench.GossipBenchCommand.Node());
        root.Subcommands.Add(Learning.Cli.TrainBenchCommand.Create());
        root.Subcommands.Add(Demo.PrivateMeshBenchCommand.Create());
        root.Subcommands.Add(Demo.CanaryBenchCommand.Create());
        return root;
    }
}
