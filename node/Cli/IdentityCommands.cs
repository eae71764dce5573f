using System.CommandLine;
using FedMesh.Node.Storage;
using FedMesh.Protocol.Identity;
using Microsoft.Extensions.Logging.Abstractions;

namespace FedMesh.Node.Cli;

/// <summary>
/// `fedmesh keygen` and `fedmesh id`: create the node key file and print the node's peer id (SPEC.md §1). Both work
/// on the key the daemon uses, <c>&lt;state_dir&gt;/identity.key</c> of the node found by <see cref="NodeLocator"/>,
/// unless a file is named with <c>--out</c> / <c>--key</c>.
/// </summary>
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
        var config = NodeLocator.ConfigOption();
        var stateDir = NodeLocator.StateDirOption();
        var output = new Option<string?>("--out") { Description = "Key file to create (default: identity.key in the node's state directory, the key `fedmesh run` uses)" };
        var force = new Option<bool>("--force") { Description = "Replace an existing key file (its identity is lost)" };
        var command = new Command("keygen", "Create a new Ed25519 node key (mode 0600) and print its peer id.") { config, stateDir, output, force };
        command.SetAction(parse =>
        {
            TextWriter error = parse.InvocationConfiguration.Error;
            string? path = parse.GetValue(output);
            try
            {
                if (path is null)
                {
                    if (!NodeLocator.TryResolve(parse.GetValue(config), parse.GetValue(stateDir), requireConfig: false, requireState: false, out NodeLocation? node, out string problem))
                    {
                        error.WriteLine($"fedmesh keygen: {problem}");
                        return 2;
                    }

                    // The daemon needs the directory private (0700) anyway; making it so here keeps the key safe.
                    StateDirectory.EnsurePrivateDirectory(node.State.Root, NullLogger.Instance);
                    path = node.State.IdentityKey;
                }

                using NodeIdentity identity = KeyFile.Create(path, parse.GetValue(force));
                parse.InvocationConfiguration.Output.WriteLine(identity.PeerId.Value);
                error.WriteLine($"wrote {Path.GetFullPath(path)}");
                return 0;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or StateDirectoryException)
            {
                error.WriteLine($"fedmesh keygen: {e.Message}");
                return 1;
            }
        });
        return command;
    }

    private static Command Id()
    {
        var config = NodeLocator.ConfigOption();
        var stateDir = NodeLocator.StateDirOption();
        var key = new Option<string?>("--key") { Description = "Key file to read (default: identity.key in the node's state directory)" };
        var command = new Command("id", "Print the peer id of a node key.") { config, stateDir, key };
        command.SetAction(parse =>
        {
            TextWriter error = parse.InvocationConfiguration.Error;
            string? path = parse.GetValue(key);
            if (path is null)
            {
                if (!NodeLocator.TryResolve(parse.GetValue(config), parse.GetValue(stateDir), requireConfig: false, requireState: true, out NodeLocation? node, out string problem))
                {
                    error.WriteLine($"fedmesh id: {problem}");
                    return 2;
                }

                path = node.State.IdentityKey;
            }

            try
            {
                using NodeIdentity identity = KeyFile.Load(path);
                parse.InvocationConfiguration.Output.WriteLine(identity.PeerId.Value);
                return 0;
            }
            catch (Exception e) when (e is KeyFileException or IOException or UnauthorizedAccessException)
            {
                error.WriteLine($"fedmesh id: {e.Message}");
                return 1;
            }
        });
        return command;
    }
}
