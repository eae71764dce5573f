using System.CommandLine;
using FedMesh.Protocol.Identity;

namespace FedMesh.Node.Cli;

/// <summary>`fedmesh keygen` and `fedmesh id`: create the node key file and print the node's peer id (SPEC.md §1).</summary>
public static class IdentityCommands
{
    public static void AddTo(RootCommand root)
    {
        ArgumentNullException.ThrowIfNull(root);
        root.Subcommands.Add(Keygen());
        root.Subcommands.Add(Id());
    }

    private static Command Keygen()
    {
        var output = new Option<string>("--out") { Description = "Key file to create", DefaultValueFactory = _ => KeyFile.DefaultPath };
        var force = new Option<bool>("--force") { Description = "Replace an existing key file (its identity is lost)" };
        var command = new Command("keygen", "Create a new Ed25519 node key (mode 0600) and print its peer id.") { output, force };
        command.SetAction(parse =>
        {
            string path = parse.GetValue(output)!;
            try
            {
                using NodeIdentity identity = KeyFile.Create(path, parse.GetValue(force));
                parse.InvocationConfiguration.Output.WriteLine(identity.PeerId.Value);
                parse.InvocationConfiguration.Error.WriteLine($"wrote {Path.GetFullPath(path)}");
                return 0;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                parse.InvocationConfiguration.Error.WriteLine($"fedmesh keygen: {e.Message}");
                return 1;
            }
        });
        return command;
    }

    private static Command Id()
    {
        var key = new Option<string>("--key") { Description = "Key file to read", DefaultValueFactory = _ => KeyFile.DefaultPath };
        var command = new Command("id", "Print the peer id of a node key.") { key };
        command.SetAction(parse =>
        {
            try
            {
                using NodeIdentity identity = KeyFile.Load(parse.GetValue(key)!);
                parse.InvocationConfiguration.Output.WriteLine(identity.PeerId.Value);
                return 0;
            }
            catch (Exception e) when (e is KeyFileException or IOException or UnauthorizedAccessException)
            {
                parse.InvocationConfiguration.Error.WriteLine($"fedmesh id: {e.Message}");
                return 1;
            }
        });
        return command;
    }
}
