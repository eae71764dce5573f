using System.CommandLine;

namespace FedMesh.Node.Cli;

/// <summary>Assembles the `fedmesh` command tree. Each area contributes its commands here; the benchmarks are
/// `fedmesh-bench` (node/Bench) and the demo `fedmesh-demo` (node/Demo).</summary>
public static class CliRoot
{
    public static RootCommand Build()
    {
        var root = new RootCommand("FedMesh: a peer-to-peer federated LoRA learning node.");

        root.Subcommands.Add(AuditCommand.Create());
        root.Subcommands.Add(FedMesh.Node.Data.Cli.DataCommand.Create());
        root.Subcommands.Add(FedMesh.Node.Privacy.PrivacyCommand.Create());
        root.Subcommands.Add(FedMesh.Node.Discovery.DiscoverCommand.Create());
        IdentityCommands.AddTo(root);
        root.Subcommands.Add(FedMesh.Node.Learning.Cli.PretrainCommand.Create());

        root.Subcommands.Add(RunCommand.Create());
        root.Subcommands.Add(NodeCommands.Init());
        root.Subcommands.Add(NodeCommands.Status());
        root.Subcommands.Add(NodeCommands.Peers());
        root.Subcommands.Add(NodeCommands.Health());
        root.Subcommands.Add(NodeCommands.Export());
        root.Subcommands.Add(ModelCommands.Generate());
        root.Subcommands.Add(ModelCommands.Eval());
        root.Subcommands.Add(NodeCommands.Trust());

        return root;
    }
}
