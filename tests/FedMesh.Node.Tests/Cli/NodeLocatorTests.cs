using FedMesh.Node.Cli;
using FedMesh.Node.Configuration;

namespace FedMesh.Node.Tests.Cli;

/// <summary>The one convention every command uses to find its configuration and state directory.</summary>
public sealed class NodeLocatorTests : IDisposable
{
    private static readonly Dictionary<string, string> NoEnvironment = [];
    private readonly string _root = Directory.CreateTempSubdirectory("fedmesh-locator-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Dir(string name) => Directory.CreateDirectory(Path.Combine(_root, name)).FullName;

    private string Config(string folder, string stateDir)
    {
        string path = Path.Combine(Dir(folder), "fedmesh.toml");
        ConfigWriter.WriteDefault(path, new Dictionary<string, object> { ["node.state_dir"] = stateDir });
        return path;
    }

    private (NodeLocation? Location, string Error) Resolve(string? config, string? stateDir, string? variable, string working, bool requireConfig = false, bool requireState = true)
    {
        bool ok = NodeLocator.TryResolve(config, stateDir, requireConfig, requireState, NoEnvironment, variable, working, Path.Combine(_root, "etc", "fedmesh.toml"), out NodeLocation? location, out string error);
        Assert.Equal(ok, location is not null);
        return (location, error);
    }

    [Fact]
    public void The_state_directory_is_taken_in_the_documented_order()
    {
        string fromFlag = Dir("flag");
        string fromConfig = Dir("config-state");
        string fromVariable = Dir("variable");
        string fromLocal = Dir("local-state");
        string config = Config("explicit", fromConfig);
        string working = Path.GetDirectoryName(Config("cwd", fromLocal))!;

        Assert.Equal((fromFlag, "--state-dir"), Pick(Resolve(config, fromFlag, fromVariable, working)));
        Assert.Equal((fromConfig, $"node.state_dir of {config}"), Pick(Resolve(config, null, fromVariable, working)));
        Assert.Equal((fromVariable, "$FEDMESH_STATE_DIR"), Pick(Resolve(null, null, fromVariable, working)));
        Assert.Equal((fromLocal, $"node.state_dir of {Path.Combine(working, "fedmesh.toml")}"), Pick(Resolve(null, null, null, working)));

        static (string, string) Pick((NodeLocation? Location, string Error) r) => (r.Location!.State.Root, r.Location.StateSource);
    }

    [Fact]
    public void The_state_directory_override_reaches_the_options_the_daemon_uses()
    {
        string state = Dir("override");
        (NodeLocation? location, _) = Resolve(Config("c", "/var/lib/elsewhere"), state, null, _root, requireState: false);
        Assert.Equal(state, location!.Options.Node.StateDir);
    }

    [Fact]
    public void A_missing_path_is_an_error_naming_it_and_where_it_came_from()
    {
        string missingState = Path.Combine(_root, "gone");
        Assert.Equal($"state directory {missingState} does not exist (from --state-dir); give --state-dir DIR or --config FILE of the node", Resolve(null, missingState, null, _root).Error);

        string missingConfig = Path.Combine(_root, "none.toml");
        Assert.Equal($"configuration file {missingConfig} does not exist (--config)", Resolve(missingConfig, null, null, _root).Error);

        string config = Config("c", missingState);
        Assert.Contains($"(from node.state_dir of {config})", Resolve(config, null, null, _root).Error, StringComparison.Ordinal);

        // run needs a configuration: with none given or found it says where it looked.
        string empty = Dir("empty");
        Assert.Contains($"neither {Path.Combine(empty, "fedmesh.toml")} nor", Resolve(null, null, null, empty, requireConfig: true, requireState: false).Error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bad_configuration_is_reported_with_file_and_line()
    {
        string path = Path.Combine(Dir("bad"), "fedmesh.toml");
        File.WriteAllText(path, "[gossip]\nfanout = 0\n");
        Assert.StartsWith($"{path}:2: gossip.fanout", Resolve(path, null, null, _root).Error, StringComparison.Ordinal);
    }
}
