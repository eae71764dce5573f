using FedMesh.Node.Configuration;
using FedMesh.Node.Reputation;

namespace FedMesh.Node.Tests.Configuration;

public sealed class ConfigLoaderTests
{
    private static readonly Dictionary<string, string> NoEnvironment = new();

    private const string FullExample = """
        # a full example
        [node]
        name = "alpha-1"
        state_dir = "/srv/fedmesh"
        seed = 42

        [network]
        listen_address = "0.0.0.0"
        listen_port = 9000
        mesh_id = "lab-mesh"
        closed = true
        allowlist = ["xzdkszhwsbl2kpxj6se3sqsble"]
        seeds = ["10.0.0.2:9000", "xzdkszhwsbl2kpxj6se3sqsble@[fd00::2]:9000", "peer.example.org:7461"]
        max_peers = 8
        max_connections = 20
        mdns = false

        [gossip]
        period_seconds = 2.5
        fanout = 4
        local_steps = 10

        [learning]
        model_size = "small"
        lora_rank = 4
        lora_alpha = 8
        lora_targets = ["q", "k", "v", "o"]
        lr = 0.0005
        batch_size = 16
        threads = 2

        [data]
        folder = "/srv/data"
        holdout_fraction = 0.2
        redaction_rules = false
        redaction_patterns = ['\d{3}-\d{4}']
        drop_json_fields = ["email", "user_id"]

        [merge]
        rule = "multi_krum"
        trim_fraction = 0.1
        byzantine_f = 2
        norm_bound = 5.0
        max_staleness_rounds = 3

        [privacy]
        clip_norm = 0.5
        noise_multiplier = 1.1
        epsilon_budget = 3.0
        delta = 1e-6

        [trust]
        validation_margin = 0.1

        [metrics]
        enabled = false
        listen = "0.0.0.0:9100"

        [admin]
        enabled = true
        listen = "[::1]:9101"

        [checkpoints]
        keep = 7
        max_size_mib = 64
        """;

    [Fact]
    public void A_full_example_sets_every_section()
    {
        NodeOptions o = ConfigLoader.Parse(FullExample, "fedmesh.toml", NoEnvironment);

        Assert.Equal("alpha-1", o.Node.Name);
        Assert.Equal("/srv/fedmesh", o.Node.StateDir);
        Assert.Equal(42, o.Node.Seed);
        Assert.Equal("0.0.0.0", o.Network.ListenAddress);
        Assert.Equal(9000, o.Network.ListenPort);
        Assert.Equal("lab-mesh", o.Network.MeshId);
        Assert.True(o.Network.Closed);
        Assert.Equal(["xzdkszhwsbl2kpxj6se3sqsble"], o.Network.Allowlist);
        Assert.Equal(3, o.Network.Seeds.Count);
        Assert.Equal(8, o.Network.MaxPeers);
        Assert.Equal(20, o.Network.MaxConnections);
        Assert.False(o.Network.Mdns);
        Assert.Equal(2.5, o.Gossip.PeriodSeconds);
        Assert.Equal(4, o.Gossip.Fanout);
        Assert.Equal(10, o.Gossip.LocalSteps);
        Assert.Equal("small", o.Learning.ModelSize);
        Assert.Equal(4, o.Learning.LoraRank);
        Assert.Equal(8.0, o.Learning.LoraAlpha);
        Assert.Equal(["q", "k", "v", "o"], o.Learning.LoraTargets);
        Assert.Equal(0.0005, o.Learning.LearningRate);
        Assert.Equal(16, o.Learning.BatchSize);
        Assert.Equal(2, o.Learning.Threads);
        Assert.Equal("/srv/data", o.Data.Folder);
        Assert.Equal(0.2, o.Data.HoldoutFraction);
        Assert.False(o.Data.RedactionRules);
        Assert.Equal([@"\d{3}-\d{4}"], o.Data.RedactionPatterns);
        Assert.Equal(["email", "user_id"], o.Data.DropJsonFields);
        Assert.Equal("multi_krum", o.Merge.Rule);
        Assert.Equal(0.1, o.Merge.TrimFraction);
        Assert.Equal(2, o.Merge.ByzantineF);
        Assert.Equal(5.0, o.Merge.NormBound);
        Assert.Equal(3, o.Merge.MaxStalenessRounds);
        Assert.Equal(0.5, o.Privacy.ClipNorm);
        Assert.Equal(1.1, o.Privacy.NoiseMultiplier);
        Assert.Equal(3.0, o.Privacy.EpsilonBudget);
        Assert.Equal(1e-6, o.Privacy.Delta);
        Assert.Equal(0.1, o.Trust.ValidationMargin);
        Assert.False(o.Metrics.Enabled);
        Assert.Equal("0.0.0.0:9100", o.Metrics.Listen);
        Assert.True(o.Admin.Enabled);
        Assert.Equal("[::1]:9101", o.Admin.Listen);
        Assert.Equal(7, o.Checkpoints.Keep);
        Assert.Equal(64, o.Checkpoints.MaxSizeMiB);
    }

    [Theory]
    [InlineData("0.0.0.0:9465")]
    [InlineData("[::]:9465")]
    [InlineData("[::1]:0")]
    [InlineData("localhost:9465")]
    [InlineData("127.0.0.1:0")]
    public void Admin_addresses_the_endpoint_server_binds_pass_validation(string listen)
    {
        NodeOptions o = ConfigLoader.Parse($"[admin]\nlisten = \"{listen}\"\n", "fedmesh.toml", NoEnvironment);
        Assert.Equal(listen, o.Admin.Listen);
    }

    [Fact]
    public void An_empty_file_gives_the_defaults()
    {
        Assert.Equal(NodeOptions.Default, ConfigLoader.Parse(string.Empty, "fedmesh.toml", NoEnvironment), OptionsComparer.Instance);
    }

    /// <summary>Issue 16: in neighbours gossip mode the trimmed mean let attackers capture honest nodes in netsim's
    /// byzantine-30 and centered clipping did not, so a node that does not set merge.rule (an empty file, or the file
    /// <c>fedmesh init</c> writes) merges by centered clipping.</summary>
    [Fact]
    public void A_node_that_does_not_set_the_merge_rule_merges_by_centered_clipping()
    {
        MergeSection empty = ConfigLoader.Parse(string.Empty, "fedmesh.toml", NoEnvironment).Merge;
        string path = Path.Combine(Path.GetTempPath(), $"fedmesh-default-rule-{Guid.NewGuid():N}.toml");
        try
        {
            ConfigWriter.WriteDefault(path);
            MergeSection written = ConfigLoader.Load(path, NoEnvironment).Merge;

            Assert.Equal("centered_clipping", empty.Rule);
            Assert.Equal("centered_clipping", written.Rule);
            Assert.Equal(FedMesh.Node.Merge.AggregationRule.CenteredClipping, FedMesh.Node.Hosting.NodeFactory.Aggregator(empty).Rule);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>Neighbours-mode pushes pass over ignored peers by default; an operator can turn that off, and a value
    /// that is not a boolean is refused naming the key.</summary>
    [Fact]
    public void Pushing_past_ignored_peers_is_on_by_default_and_can_be_turned_off()
    {
        Assert.True(ConfigLoader.Parse(string.Empty, "fedmesh.toml", NoEnvironment).Gossip.FanoutPastIgnored);
        Assert.False(ConfigLoader.Parse("[gossip]\nfanout_past_ignored = false\n", "fedmesh.toml", NoEnvironment).Gossip.FanoutPastIgnored);
        ConfigException error = Assert.Throws<ConfigException>(() => ConfigLoader.Parse("[gossip]\nfanout_past_ignored = 2\n", "fedmesh.toml", NoEnvironment));
        Assert.Contains("gossip.fanout_past_ignored", error.Message, StringComparison.Ordinal);

        // The daemon's gossip engine gets the setting (and keeps the section's fanout).
        GossipSection off = GossipSection.Default with { FanoutPastIgnored = false, Fanout = 5 };
        FedMesh.Node.Gossip.GossipOptions engine = FedMesh.Node.Hosting.NodeFactory.GossipOptionsOf(off, FedMesh.Node.Gossip.GossipMode.Neighbours, TimeSpan.FromMinutes(1));
        Assert.False(engine.FanoutPastIgnored);
        Assert.Equal(5, engine.Fanout);
        Assert.True(FedMesh.Node.Hosting.NodeFactory.GossipOptionsOf(GossipSection.Default, FedMesh.Node.Gossip.GossipMode.Neighbours, TimeSpan.FromMinutes(1)).FanoutPastIgnored);
    }

    /// <summary>Copy and collusion evidence is on by default; an operator can turn it off, the daemon's reputation gets
    /// the setting, and a value that is not a boolean is refused naming the key.</summary>
    [Fact]
    public void Copy_evidence_is_on_by_default_and_can_be_turned_off()
    {
        Assert.True(ConfigLoader.Parse(string.Empty, "fedmesh.toml", NoEnvironment).Trust.CopyEvidence);
        TrustSection off = ConfigLoader.Parse("[trust]\ncopy_evidence = false\n", "fedmesh.toml", NoEnvironment).Trust;
        Assert.False(off.CopyEvidence);
        ConfigException error = Assert.Throws<ConfigException>(() => ConfigLoader.Parse("[trust]\ncopy_evidence = \"no\"\n", "fedmesh.toml", NoEnvironment));
        Assert.Contains("trust.copy_evidence", error.Message, StringComparison.Ordinal);

        Assert.False(FedMesh.Node.Hosting.NodeFactory.ReputationOptionsOf(off).ShareCopyWeight);
        Assert.True(FedMesh.Node.Hosting.NodeFactory.ReputationOptionsOf(TrustSection.Default).ShareCopyWeight);
        Assert.True(FedMesh.Node.Hosting.NodeFactory.ReputationOptionsOf(TrustSection.Default).CosineLinkNeedsCloseCall);
        TrustSection cosine = ConfigLoader.Parse("[trust]\ncopy_links_need_close_call = false\n", "fedmesh.toml", NoEnvironment).Trust;
        Assert.False(FedMesh.Node.Hosting.NodeFactory.ReputationOptionsOf(cosine).CosineLinkNeedsCloseCall);
        Assert.True(FedMesh.Node.Hosting.NodeFactory.ReputationOptionsOf(cosine).ShareCopyWeight);
    }

    /// <summary>Copy evidence's tuning reaches the daemon's reputation from <c>[trust]</c>: the defaults are the
    /// library's, set values arrive unchanged, and values outside what reputation accepts are refused naming the key.</summary>
    [Fact]
    public void Copy_evidence_tuning_keys_reach_the_reputation_options_and_bad_values_name_the_key()
    {
        ReputationOptions defaults = FedMesh.Node.Hosting.NodeFactory.ReputationOptionsOf(ConfigLoader.Parse(string.Empty, "fedmesh.toml", NoEnvironment).Trust);
        Assert.Equal(ReputationOptions.Default.CopyShareExponent, defaults.CopyShareExponent);
        Assert.Equal(ReputationOptions.Default.PushPastCosine, defaults.PushPastCosine);
        Assert.Equal(ReputationOptions.Default.UnscoredMemoryRounds, defaults.UnscoredMemoryRounds);

        TrustSection tuned = ConfigLoader.Parse(
            "[trust]\ncopy_share_exponent = 1.0\npush_past_cosine = 0.5\nunscored_memory_rounds = 0\n", "fedmesh.toml", NoEnvironment).Trust;
        ReputationOptions options = FedMesh.Node.Hosting.NodeFactory.ReputationOptionsOf(tuned);
        Assert.Equal(1.0, options.CopyShareExponent);
        Assert.Equal(0.5, options.PushPastCosine);
        Assert.Equal(0, options.UnscoredMemoryRounds);
        Assert.Empty(options.Validate());

        foreach ((string line, string key) in new[]
        {
            ("copy_share_exponent = 17.0", "trust.copy_share_exponent"),
            ("copy_share_exponent = -1.0", "trust.copy_share_exponent"),
            ("push_past_cosine = 1.5", "trust.push_past_cosine"),
            ("unscored_memory_rounds = -2", "trust.unscored_memory_rounds"),
            ("unscored_memory_rounds = 0.5", "trust.unscored_memory_rounds"),
        })
        {
            ConfigException error = Assert.Throws<ConfigException>(() => ConfigLoader.Parse($"[trust]\n{line}\n", "fedmesh.toml", NoEnvironment));
            Assert.Contains(key, error.Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("[gossip]\nfanout = 0\n", "fedmesh.toml:2: gossip.fanout must be between 1 and 64, got 0")]
    [InlineData("[gossip]\n\n\nfanout = 65\n", "fedmesh.toml:4: gossip.fanout must be between 1 and 64, got 65")]
    [InlineData("[gossip]\nfanout = \"three\"\n", "fedmesh.toml:2: gossip.fanout must be an integer, got a string")]
    [InlineData("[gossip]\nfanout = 2.5\n", "fedmesh.toml:2: gossip.fanout must be an integer, got a float")]
    [InlineData("[privacy]\nclip_norm = 0\n", "fedmesh.toml:2: privacy.clip_norm must be greater than 0 and at most 1000000, got 0")]
    [InlineData("[network]\nlisten_port = 70000\n", "fedmesh.toml:2: network.listen_port must be between 0 and 65535, got 70000")]
    [InlineData("[network]\nlisten_address = \"localhost\"\n", "fedmesh.toml:2: network.listen_address must be an IP address")]
    [InlineData("[network]\nseeds = [\"10.0.0.1\"]\n", "fedmesh.toml:2: network.seeds entries must be host:port or peerid@host:port, got \"10.0.0.1\"")]
    [InlineData("[network]\nseeds = [\"nobody@10.0.0.1:1\"]\n", "fedmesh.toml:2: network.seeds has a bad peer id in \"nobody@10.0.0.1:1\"")]
    [InlineData("[network]\nallowlist = [1, 2]\n", "fedmesh.toml:2: network.allowlist must be an array of strings, got an array containing an integer")]
    [InlineData("[privacy]\nnoise_multiplier = 0.1\n", "fedmesh.toml:2: privacy.noise_multiplier must be 0 (planned at start so privacy.planned_rounds fit the budget; to turn DP off set privacy.level = \"off\") or between 0.3 and 1000")]
    [InlineData("[privacy]\n\nnoise_multiplier = -1\n", "fedmesh.toml:3: privacy.noise_multiplier must be 0 (planned at start")]
    [InlineData("[learning]\nmodel_size = \"huge\"\n", "fedmesh.toml:2: learning.model_size must be one of \"tiny\", \"small\", got \"huge\"")]
    [InlineData("[learning]\nlora_targets = [\"q\", \"zz\"]\n", "fedmesh.toml:2: learning.lora_targets has unknown target \"zz\"")]
    [InlineData("[network]\nmax_peers = 10\nmax_connections = 5\n", "fedmesh.toml:3: network.max_connections must be at least network.max_peers (10), got 5")]
    [InlineData("[membership]\nview_size = 6\nshuffle_length = 7\n", "fedmesh.toml:3: membership.shuffle_length must be at most membership.view_size (6), got 7")]
    [InlineData("[network]\nmax_peers = 4\n", "fedmesh.toml: membership.view_size must be at most network.max_peers (4), got 8")]
    [InlineData("[membership]\nview_size = 0\n", "fedmesh.toml:2: membership.view_size must be between 1 and 1024, got 0")]
    [InlineData("[membership]\nshuffle_period_seconds = 0.5\n", "fedmesh.toml:2: membership.shuffle_period_seconds must be")]
    [InlineData("[membership]\nout_of_view_grace_seconds = -1\n", "fedmesh.toml:2: membership.out_of_view_grace_seconds must be")]
    [InlineData("[membership]\nmax_inbound_sessions = -1\n", "fedmesh.toml:2: membership.max_inbound_sessions must be")]
    [InlineData("[merge]\nrule = \"average\"\n", "fedmesh.toml:2: merge.rule must be one of \"mean\", \"median\", \"trimmed_mean\", \"multi_krum\", \"geometric_median\", \"centered_clipping\", got \"average\"")]
    [InlineData("[merge]\nrule = \"multi_krum\"\nbyzantine_f = 7\n", "fedmesh.toml:3: merge.byzantine_f is 7 but krum needs network.max_peers > 2f + 2 = 16")]
    [InlineData("[data]\nredaction_patterns = [\"(unclosed\"]\n", "fedmesh.toml:2: data.redaction_patterns has an invalid regular expression \"(unclosed\"")]
    [InlineData("[data]\nfolder = \"relative/dir\"\n", "fedmesh.toml:2: data.folder must be an absolute path, got \"relative/dir\"")]
    [InlineData("[node]\nname = \"has space\"\n", "fedmesh.toml:2: node.name must be 1-64 characters")]
    [InlineData("[learning]\nlora_targets = []\n", "fedmesh.toml:2: learning.lora_targets must not be empty")]
    [InlineData("[metrics]\nlisten = \"9464\"\n", "fedmesh.toml:2: metrics.listen must be an IP address and port")]
    // An admin address the endpoint server cannot bind is refused by validation, not at start.
    [InlineData("[admin]\nlisten = \"example.org:9465\"\n", "fedmesh.toml:2: admin.listen must be an IP address and port")]
    [InlineData("[admin]\nlisten = \"::1:9465\"\n", "fedmesh.toml:2: admin.listen must be an IP address and port")]
    [InlineData("[admin]\nlisten = \"127.0.0.1:65536\"\n", "fedmesh.toml:2: admin.listen must be an IP address and port")]
    [InlineData("[checkpoints]\nkeep = 0\n", "fedmesh.toml:2: checkpoints.keep must be between 1 and 1000, got 0")]
    [InlineData("[privacy]\nlevel = \"user\"\n", "fedmesh.toml:2: privacy.level must be one of \"record\", \"node\", \"off\", got \"user\"")]
    [InlineData("[privacy]\nlevel = \"record\"\nnoise_multiplier = 0.1\n", "fedmesh.toml:3: privacy.noise_multiplier must be 0 (planned at start so privacy.planned_rounds fit the budget; to turn DP off set privacy.level = \"off\") or between 0.3 and 1000")]
    [InlineData("[privacy]\nplanned_rounds = 0\n", "fedmesh.toml:2: privacy.planned_rounds must be between 1 and 100000, got 0")]
    [InlineData("[privacy]\ndelta = 0.5\n", "fedmesh.toml:2: privacy.delta must be between 0 and 0.01, got 0.5")]
    public void A_bad_value_is_reported_with_file_line_and_key(string toml, string expected)
    {
        var ex = Assert.Throws<ConfigException>(() => ConfigLoader.Parse(toml, "fedmesh.toml", NoEnvironment));
        Assert.Single(ex.Errors);
        Assert.StartsWith(expected, ex.Errors[0].ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_closed_mesh_may_leave_network_allowlist_empty_for_trust_add_to_fill()
    {
        // `fedmesh trust add` keeps its ids in the state directory; the start checks that someone is allowed.
        Assert.True(ConfigLoader.Parse("[network]\nclosed = true\n", "fedmesh.toml", NoEnvironment).Network.Closed);
    }

    [Fact]
    public void A_bad_sigma_from_the_environment_names_the_variable()
    {
        var ex = Assert.Throws<ConfigException>(() => ConfigLoader.Parse(string.Empty, "fedmesh.toml", new Dictionary<string, string> { ["FEDMESH_PRIVACY__NOISE_MULTIPLIER"] = "0.2" }));
        Assert.StartsWith("environment FEDMESH_PRIVACY__NOISE_MULTIPLIER: privacy.noise_multiplier must be 0 (planned at start", ex.Errors.Single().ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_model_sizes_the_configuration_accepts_are_the_ones_the_node_builds()
    {
        Assert.Equal(LearningSection.KnownModelSizes.Order(), FedMesh.Node.Hosting.NodeFactory.ModelSizes.Keys.Order());
    }

    [Fact]
    public void An_unknown_key_is_rejected_with_its_line_and_the_known_keys()
    {
        var ex = Assert.Throws<ConfigException>(() => ConfigLoader.Parse("[gossip]\nfanout = 3\nfan_out = 3\n", "fedmesh.toml", NoEnvironment));
        ConfigError error = Assert.Single(ex.Errors);
        Assert.Equal(3, error.Line);
        Assert.Equal("gossip.fan_out", error.Key);
        Assert.Contains("fanout", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[gossips]\nfanout = 3\n", 1, "[gossips]")]
    [InlineData("[[gossip]]\nfanout = 3\n", 1, "[[gossip]]")]
    [InlineData("top = 1\n", 1, "top")]
    [InlineData("[network]\nlisten.port = 1\n", 2, "network.listen.port")]
    public void Unknown_sections_and_misplaced_keys_are_rejected(string toml, int line, string key)
    {
        var ex = Assert.Throws<ConfigException>(() => ConfigLoader.Parse(toml, "fedmesh.toml", NoEnvironment));
        ConfigError error = Assert.Single(ex.Errors);
        Assert.Equal(line, error.Line);
        Assert.Equal(key, error.Key);
    }

    [Fact]
    public void A_dotted_key_at_the_root_reaches_its_section()
    {
        NodeOptions o = ConfigLoader.Parse("gossip.fanout = 5\n", "fedmesh.toml", NoEnvironment);
        Assert.Equal(5, o.Gossip.Fanout);
    }

    [Fact]
    public void Every_problem_is_reported_not_only_the_first()
    {
        var ex = Assert.Throws<ConfigException>(() =>
            ConfigLoader.Parse("[gossip]\nfanout = 0\nlocal_steps = 0\n[privacy]\nbogus = 1\n", "cfg.toml", NoEnvironment));
        Assert.Equal([2, 3, 5], ex.Errors.Select(e => e.Line ?? 0));
        Assert.Contains("cfg.toml:5: privacy.bogus", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_syntax_error_names_the_file_and_line()
    {
        var ex = Assert.Throws<ConfigException>(() => ConfigLoader.Parse("[gossip]\nfanout = = 3\n", "fedmesh.toml", NoEnvironment));
        Assert.All(ex.Errors, e => Assert.Equal("fedmesh.toml", e.Source));
        Assert.Equal(2, ex.Errors[0].Line);
    }

    [Fact]
    public void Deep_nesting_is_refused_as_a_config_error_instead_of_recursing()
    {
        string toml = "[gossip]\nfanout = " + new string('[', 100_000) + new string(']', 100_000) + "\n";
        var ex = Assert.Throws<ConfigException>(() => ConfigLoader.Parse(toml, "fedmesh.toml", NoEnvironment));
        Assert.Contains("depth", Assert.Single(ex.Errors).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_duplicate_key_is_a_syntax_error()
    {
        var ex = Assert.Throws<ConfigException>(() => ConfigLoader.Parse("[gossip]\nfanout = 3\nfanout = 4\n", "fedmesh.toml", NoEnvironment));
        Assert.Equal(3, ex.Errors[0].Line);
    }

    [Fact]
    public void Environment_overrides_win_over_the_file()
    {
        var env = new Dictionary<string, string>
        {
            ["FEDMESH_GOSSIP__FANOUT"] = "7",
            ["FEDMESH_NETWORK__MDNS"] = "false",
            ["FEDMESH_NETWORK__SEEDS"] = "10.0.0.1:1, 10.0.0.2:2",
            ["FEDMESH_PRIVACY__NOISE_MULTIPLIER"] = "0.75",
            ["FEDMESH_NODE__NAME"] = "from-env",
            ["FEDMESH_UNRELATED"] = "ignored: no double underscore",
        };

        NodeOptions o = ConfigLoader.Parse("[gossip]\nfanout = 3\n", "fedmesh.toml", env);

        Assert.Equal(7, o.Gossip.Fanout);
        Assert.False(o.Network.Mdns);
        Assert.Equal(["10.0.0.1:1", "10.0.0.2:2"], o.Network.Seeds);
        Assert.Equal(0.75, o.Privacy.NoiseMultiplier);
        Assert.Equal("from-env", o.Node.Name);
    }

    [Theory]
    [InlineData("FEDMESH_GOSSIP__FANOUT", "0", "environment FEDMESH_GOSSIP__FANOUT: gossip.fanout must be between 1 and 64, got 0")]
    [InlineData("FEDMESH_GOSSIP__FANOUT", "lots", "environment FEDMESH_GOSSIP__FANOUT: gossip.fanout must be an integer, got \"lots\"")]
    [InlineData("FEDMESH_GOSSIP__FANOUTT", "3", "environment FEDMESH_GOSSIP__FANOUTT: FEDMESH_GOSSIP__FANOUTT is not a known FEDMESH_SECTION__KEY override")]
    public void A_bad_environment_override_names_the_variable(string name, string value, string expected)
    {
        var ex = Assert.Throws<ConfigException>(() =>
            ConfigLoader.Parse(string.Empty, "fedmesh.toml", new Dictionary<string, string> { [name] = value }));
        Assert.Equal(expected, Assert.Single(ex.Errors).ToString());
    }

    [Fact]
    public void Load_reads_a_file_and_reports_a_missing_one_by_path()
    {
        string dir = Directory.CreateTempSubdirectory("fedmesh-cfg-").FullName;
        try
        {
            string path = Path.Combine(dir, "fedmesh.toml");
            File.WriteAllText(path, "[gossip]\nfanout = 9\n");
            Assert.Equal(9, ConfigLoader.Load(path, NoEnvironment).Gossip.Fanout);

            var ex = Assert.Throws<ConfigException>(() => ConfigLoader.Load(Path.Combine(dir, "missing.toml"), NoEnvironment));
            Assert.StartsWith(Path.Combine(dir, "missing.toml") + ": cannot be read", ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Load_refuses_an_oversized_file_before_parsing_it()
    {
        string dir = Directory.CreateTempSubdirectory("fedmesh-cfg-").FullName;
        try
        {
            string path = Path.Combine(dir, "fedmesh.toml");
            File.WriteAllText(path, "# " + new string('x', ConfigLoader.MaxFileBytes) + "\n");
            var ex = Assert.Throws<ConfigException>(() => ConfigLoader.Load(path, NoEnvironment));
            Assert.Contains("at most", ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
