using FedMesh.Node.Configuration;

namespace FedMesh.Node.Tests.Configuration;

public sealed class ConfigWriterTests
{
    private static readonly Dictionary<string, string> NoEnvironment = new();

    [Fact]
    public void Init_writes_a_config_that_parses_back_to_the_defaults()
    {
        string dir = Directory.CreateTempSubdirectory("fedmesh-init-").FullName;
        try
        {
            string path = Path.Combine(dir, "etc", "fedmesh.toml");
            ConfigWriter.WriteDefault(path);

            NodeOptions parsed = ConfigLoader.Load(path, NoEnvironment);
            Assert.Equal(NodeOptions.Default, parsed, OptionsComparer.Instance);
            Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(path)!, "*.tmp"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Every_key_is_written_with_its_doc_comment()
    {
        string[] lines = ConfigWriter.Render().Split('\n');
        foreach (ConfigKey key in ConfigKeys.All)
        {
            int section = Array.IndexOf(lines, $"[{key.Section}]");
            int at = Array.FindIndex(lines, section + 1, l => l.StartsWith(key.Name + " = ", StringComparison.Ordinal));
            Assert.True(section >= 0 && at > section, $"{key.Path} is missing");
            Assert.Equal("# " + key.Doc, lines[at - 1]);
        }
    }

    [Fact]
    public void Overrides_replace_defaults_and_survive_escaping()
    {
        var overrides = new Dictionary<string, object>
        {
            ["node.name"] = "beta",
            ["node.state_dir"] = "/tmp/with \"quotes\" and \\ backslash",
            ["gossip.fanout"] = 5,
            ["privacy.delta"] = 1e-7,
            ["learning.lora_alpha"] = 32.0,
            ["network.seeds"] = new[] { "10.1.1.1:7461" },
        };

        NodeOptions o = ConfigLoader.Parse(ConfigWriter.Render(overrides), "x.toml", NoEnvironment);

        Assert.Equal("beta", o.Node.Name);
        Assert.Equal("/tmp/with \"quotes\" and \\ backslash", o.Node.StateDir);
        Assert.Equal(5, o.Gossip.Fanout);
        Assert.Equal(1e-7, o.Privacy.Delta);
        Assert.Equal(32.0, o.Learning.LoraAlpha);
        Assert.Equal(["10.1.1.1:7461"], o.Network.Seeds);
    }

    [Fact]
    public void An_invalid_override_is_refused_and_nothing_is_written()
    {
        string dir = Directory.CreateTempSubdirectory("fedmesh-init-").FullName;
        try
        {
            string path = Path.Combine(dir, "fedmesh.toml");
            var ex = Assert.Throws<ConfigException>(() =>
                ConfigWriter.WriteDefault(path, new Dictionary<string, object> { ["gossip.fanout"] = 0 }));
            Assert.Equal("gossip.fanout", Assert.Single(ex.Errors).Key);
            Assert.Throws<ConfigException>(() =>
                ConfigWriter.WriteDefault(path, new Dictionary<string, object> { ["gossip.nope"] = 1 }));
            Assert.False(File.Exists(path));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
