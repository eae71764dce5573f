using System.CommandLine;

namespace FedMesh.Node.Cli;

/// <summary>Assembles the `fedmesh` command tree. Each area contributes its commands here.</summary>
public static class CliRoot
{
    public static RootCommand Build()
    {
        var root = new RootCommand("FedMesh: a peer-to-peer federated LoRA learning node.");

        var bench = new Command("bench", "Benchmarks that print figures (add --json for machines).");
        bench.Subcommands.Add(BenchAuditCommand.Create());
        root.Subcommands.Add(bench);
        root.Subcommands.Add(AuditCommand.Create());
        bench.Subcommands.Add(FedMesh.Node.Data.Cli.RedactBenchCommand.Create());
        bench.Subcommands.Add(FedMesh.Node.Data.Cli.LoadBenchCommand.Create());
        root.Subcommands.Add(FedMesh.Node.Data.Cli.DataCommand.Create());
        root.Subcommands.Add(FedMesh.Node.Privacy.PrivacyCommand.Create());
        bench.Subcommands.Add(FedMesh.Node.Discovery.DiscoveryBenchCommand.Create());
        root.Subcommands.Add(FedMesh.Node.Discovery.DiscoverCommand.Create());
        bench.Subcommands.Add(Merge.Bench.MergeBenchCommands.Merge());
        bench.Subcommands.Add(Merge.Bench.MergeBenchCommands.Robustness());
        IdentityCommands.AddTo(root);

        bench.Subcommands.Add(Gossip.Bench.TransferBenchCommand.Create());
        bench.Subcommands.Add(Gossip.Bench.GossipBenchCommand.Create());
        bench.Subcommands.Add(Gossip.Bench.GossipBenchCommand.Node());
        root.Subcommands.Add(FedMesh.Node.Learning.Cli.PretrainCommand.Create());
        bench.Subcommands.Add(FedMesh.Node.Learning.Cli.TrainBenchCommand.Create());

        root.Subcommands.Add(RunCommand.Create());
        root.Subcommands.Add(Demo.DemoCommand.Create());
        bench.Subcommands.Add(Demo.PrivateMeshBenchCommand.Create());
        root.Subcommands.Add(NodeCommands.Init());
        root.Subcommands.Add(NodeCommands.Status());
        root.Subcommands.Add(NodeCommands.Peers());
        root.Subcommands.Add(NodeCommands.Export());
        root.Subcommands.Add(NodeCommands.Trust());

        return root;
    }
}
