using FedMesh.NetSim.Scenarios;
using FedMesh.Node.Attacks;
using FedMesh.Node.Learning;
using FedMesh.Node.Merge;

namespace FedMesh.NetSim.Tests.Scenarios;

public class ScenarioLoaderTests
{
    private static readonly string Shipped = Path.Combine(AppContext.BaseDirectory, "scenarios");

    [Theory]
    [InlineData("partition-heal")]
    [InlineData("churn")]
    [InlineData("byzantine-30")]
    [InlineData("dp-eps8")]
    [InlineData("scale-1000")]
    [InlineData("consensus")]
    public void Shipped_scenarios_load(string name)
    {
        Scenario s = ScenarioLoader.Load(Path.Combine(Shipped, name + ".toml"));

        Assert.Equal(name, s.Name);
        Assert.True(s.Nodes >= 8);
    }

    [Fact]
    public void The_heartbeat_is_the_daemons_one_second_unless_a_scenario_sets_it_and_scale_1000_ticks_once_a_period()
    {
        Assert.Equal(FedMesh.Node.Hosting.NodeParts.DefaultHeartbeatInterval, ScenarioLoader.Parse("nodes = 8\n", "a.toml").Gossip.Heartbeat);
        Assert.Equal(TimeSpan.FromSeconds(2.5), ScenarioLoader.Parse("nodes = 8\n[gossip]\nheartbeat_s = 2.5\n", "b.toml").Gossip.Heartbeat);
        Scenario scale = ScenarioLoader.Load(Path.Combine(Shipped, "scale-1000.toml"));
        Assert.Equal(scale.Period, scale.Gossip.Heartbeat);
    }

    /// <summary>scale-1000 keeps the sessions it dialled 300 s outside the view (netsim/scenarios/README.md, issue 13's
    /// twelfth pass); the other shipped scenarios run the daemon's 60 s.</summary>
    [Fact]
    public void Scale_1000_keeps_dialled_sessions_five_minutes_outside_the_view_and_the_others_the_daemons_minute()
    {
        Scenario scale = ScenarioLoader.Load(Path.Combine(Shipped, "scale-1000.toml"));
        Assert.Equal(TimeSpan.FromSeconds(300), scale.Membership.ToOptions().OutOfViewGrace);
        foreach (string name in new[] { "partition-heal", "churn", "byzantine-30", "dp-eps8", "consensus" })
        {
            Scenario other = ScenarioLoader.Load(Path.Combine(Shipped, name + ".toml"));
            Assert.Equal(FedMesh.Node.Membership.PeerSamplingOptions.Default.OutOfViewGrace, other.Membership.ToOptions().OutOfViewGrace);
        }

        Assert.Equal(TimeSpan.FromSeconds(60), FedMesh.Node.Membership.PeerSamplingOptions.Default.OutOfViewGrace);
    }

    [Fact]
    public void Membership_and_the_crypto_switch_are_the_daemons_settings_unless_a_scenario_sets_them()
    {
        Scenario plain = ScenarioLoader.Parse("nodes = 8\n", "a.toml");
        Assert.Equal(FedMesh.Node.Configuration.MembershipSection.Default, plain.Membership);
        Assert.False(plain.SimulatedCrypto);

        Scenario set = ScenarioLoader.Parse("nodes = 8\nsimulated_crypto = true\n[membership]\nview_size = 12\nshuffle_length = 6\nout_of_view_grace_seconds = 86400\nmax_inbound_sessions = 20\n", "b.toml");
        Assert.True(set.SimulatedCrypto);
        FedMesh.Node.Membership.PeerSamplingOptions options = set.Membership.ToOptions();
        Assert.Equal(12, options.ViewSize);
        Assert.Equal(6, options.ShuffleLength);
        Assert.Equal(TimeSpan.FromDays(1), options.OutOfViewGrace);
        Assert.Equal(20, options.InboundCap);
    }

    [Fact]
    public void Shipped_scenarios_say_what_they_contain()
    {
        Scenario ph = ScenarioLoader.Load(Path.Combine(Shipped, "partition-heal.toml"));
        Scenario byz = ScenarioLoader.Load(Path.Combine(Shipped, "byzantine-30.toml"));
        Scenario dp = ScenarioLoader.Load(Path.Combine(Shipped, "dp-eps8.toml"));

        Assert.Equal([ScenarioEventKind.Partition, ScenarioEventKind.Heal], ph.Events.Select(e => e.Kind));
        Assert.Equal(["east", "west"], ph.Events[0].Groups.Select(g => g.Key));
        Assert.Equal([4, 5, 6, 7], ph.Events[0].Groups[1].Value);
        Assert.Equal(0.3, byz.Byzantine.Fraction);
        Assert.Equal(AttackKind.SignFlip, byz.Byzantine.Attack);
        Assert.Equal(AggregationRule.CenteredClipping, byz.Rule);
        Assert.Equal(8.0, dp.Privacy!.EpsilonBudget);
        Assert.Equal("record", dp.Privacy.Level);
        Assert.Equal(LearnerKind.Torch, dp.Learner.Kind);
        // σ planned by each node for the scenario's rounds, as `fedmesh init` leaves it.
        Assert.Equal(0, dp.Privacy.NoiseMultiplier);
        Assert.Equal(dp.Rounds, dp.Privacy.PlannedRounds);
    }

    [Fact]
    public void Privacy_on_the_surrogate_learner_is_refused_naming_the_key()
    {
        var e = Assert.Throws<ScenarioException>(() => ScenarioLoader.Parse("[privacy]\nenabled = true\n", "s.toml"));

        Assert.Contains("privacy.enabled", e.Message, StringComparison.Ordinal);
        Assert.Contains("learner.kind", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_sotu_scenario_loads_the_real_learner_settings()
    {
        Scenario s = ScenarioLoader.Load(Path.Combine(Shipped, "sotu-16.toml"));

        Assert.Equal(LearnerKind.Torch, s.Learner.Kind);
        Assert.Equal(16, s.Nodes);
        Assert.Equal(20, s.Learner.LocalSteps);
        Assert.Equal(1e-2f, s.Learner.Torch.LearningRate);
        Assert.Equal(LoraTargets.All, s.Learner.Torch.LoraTargets);
        Assert.Equal(1, s.Learner.Torch.Threads);
        Assert.True(s.Learner.Torch.Baselines);
        // No gate keys in the file: the gate a daemon runs by default (trust.validation_margin), not the library's 0.5 %.
        Assert.True(s.ValidationGate);
        Assert.Equal(FedMesh.Node.Configuration.TrustSection.Default.ValidationMargin, s.Gate.RelativeMargin);
        Assert.Equal(0.05, s.Gate.RelativeMargin);
    }

    [Fact]
    public void A_group_naming_a_missing_node_is_reported_with_file_line_and_key()
    {
        string toml = """
            nodes = 8
            [[events]]
            round = 1
            kind = "heal"
            [[events]]
            round = 2
            kind = "heal"
            [[events]]
            round = 3
            kind = "partition"
            groups = { east = [0, 1, 2], west = [3, 9] }
            """;

        var ex = Assert.Throws<ScenarioException>(() => ScenarioLoader.Parse(toml, "partition-heal.toml"));

        Assert.Equal("partition-heal.toml:11: events[2].groups.west: node 9 does not exist (8 nodes, indices 0..7)", Assert.Single(ex.Errors).ToString());
    }

    [Fact]
    public void A_scenario_can_choose_the_sparse_encoding_and_its_density()
    {
        Scenario s = ScenarioLoader.Parse("nodes = 8\n[gossip]\nencoding = \"sparse\"\ndensity = 0.5\n", "sparse.toml");

        Assert.Equal(FedMesh.Protocol.Deltas.TensorEncoding.SparseInt8, s.Gossip.Encoding);
        Assert.Equal(0.5, s.Gossip.Density);
        Assert.Equal(FedMesh.Node.Mesh.MeshOptions.DefaultDensity, ScenarioLoader.Parse("nodes = 8\n", "dense.toml").Gossip.Density);
    }

    [Fact]
    public void A_scenario_can_choose_block_int8_and_the_default_is_the_daemons_int8_wz()
    {
        Assert.Equal(FedMesh.Protocol.Deltas.TensorEncoding.BlockInt8, ScenarioLoader.Parse("nodes = 8\n[gossip]\nencoding = \"int8-block\"\n", "block.toml").Gossip.Encoding);
        Assert.Equal(FedMesh.Protocol.Deltas.TensorEncoding.ModuloInt8, ScenarioLoader.Parse("nodes = 8\n", "default.toml").Gossip.Encoding);
    }

    [Fact]
    public void A_scenario_can_choose_modulo_int8_with_its_margin()
    {
        Scenario s = ScenarioLoader.Parse("nodes = 8\n[gossip]\nencoding = \"int8-wz\"\nmodulo_margin = 3.5\n", "wz.toml");
        Assert.Equal(FedMesh.Protocol.Deltas.TensorEncoding.ModuloInt8, s.Gossip.Encoding);
        Assert.Equal(3.5, s.Gossip.ModuloMargin);
        Assert.Equal(FedMesh.Node.Mesh.MeshOptions.Default.ModuloMargin, ScenarioLoader.Parse("nodes = 8\n", "default.toml").Gossip.ModuloMargin);
        Assert.Throws<ScenarioException>(() => ScenarioLoader.Parse("nodes = 8\n[gossip]\nmodulo_margin = 0.5\n", "low.toml"));
    }

    [Theory]
    [InlineData("nodes = 8\nfanout = 3\n", 2, "fanout", "is not a known key")]
    [InlineData("nodes = 8\n[gossip]\nfanot = 3\n", 3, "gossip.fanot", "is not a known key")]
    [InlineData("nodes = 8\n[gossip]\ndensity = 0\n", 3, "gossip.density", "must be in (0, 1]")]
    [InlineData("nodes = 8\n[topologies]\nkind = \"full\"\n", 2, "[topologies]", "is not a known table")]
    [InlineData("nodes = \"eight\"\n", 1, "nodes", "must be an integer, got a string")]
    [InlineData("nodes = 8\n\n[links]\nloss = 1.5\n", 4, "links.loss", "must be in [0, 1], got 1.5")]
    [InlineData("nodes = 8\n[merge]\nrule = \"average\"\n", 3, "merge.rule", "average")]
    [InlineData("nodes = 8\n[byzantine]\nattack = \"bribe\"\n", 3, "byzantine.attack", "bribe")]
    [InlineData("nodes = 7\n[topology]\nkind = \"random_regular\"\ndegree = 3\nclusters = 2\n", 4, "topology.degree", "degree × nodes even")]
    [InlineData("nodes = 8\n[[events]]\nround = 2\nkind = \"crash\"\nnodes = [8]\n", 5, "events[0].nodes", "node 8 does not exist")]
    [InlineData("nodes = 8\nrounds = 5\n[[events]]\nround = 6\nkind = \"heal\"\n", 4, "events[0].round", "between 1 and 5")]
    [InlineData("nodes = 8\n[[events]]\nround = 2\nkind = \"explode\"\n", 4, "events[0].kind", "\"explode\" is not one of")]
    [InlineData("nodes = 8\n[data]\nsplit = \"sotu_era\"\n", 3, "data.split", "needs learner.kind = \"torch\"")]
    [InlineData("nodes = 3\n[learner]\nkind = \"torch\"\nlora_targets = [\"q\", \"x\"]\n", 4, "learner.lora_targets", "unknown target \"x\"")]
    [InlineData("nodes = 3\n[learner]\nkind = \"torch\"\nlora_targets = []\n", 4, "learner.lora_targets", "at least one of q, k, v")]
    [InlineData("nodes = 3\n[learner]\nkind = \"torch\"\nlearning_rate = 0\n", 4, "learner.learning_rate", "must be in (0, 1]")]
    [InlineData("nodes = 3\n[learner]\nkind = \"torch\"\nthreads = 0\n", 4, "learner.threads", "between 1 and 256")]
    [InlineData("nodes = 3\n[learner]\nkind = \"torch\"\neval_chars = 10\n", 4, "learner.eval_chars", "between 64 and")]
    [InlineData("nodes = 3\n[learner]\nkind = \"torch\"\nlora_rank = 0\n", 4, "learner.lora_rank", "between 1 and")]
    [InlineData("nodes = 3\n[learner]\nkind = \"torch\"\ndimension = 8\n", 4, "learner.dimension", "is not a known key")]
    [InlineData("nodes = 3\n[learner]\nkind = \"torch\"\n[data]\nsplit = \"iid\"\n", 5, "data.split", "only \"sotu_era\"")]
    [InlineData("nodes = 65\n[learner]\nkind = \"torch\"\n", 3, "learner.kind", "at most 64 nodes")]
    [InlineData("nodes = 3\n[learner]\nbaselines = true\n", 3, "learner.baselines", "is not a known key")]
    [InlineData("nodes = 8\n[gossip]\nheartbeat_s = 0.5\n", 3, "gossip.heartbeat_s", "must be in [1, 60]")]
    [InlineData("nodes = 8\n[gossip]\nheartbeat_s = 90\n", 3, "gossip.heartbeat_s", "must be in [1, 60]")]
    [InlineData("nodes = 8\n[membership]\nview_size = 4\nshuffle_length = 6\n", 4, "membership.shuffle_length", "between 1 and membership.view_size (4)")]
    [InlineData("nodes = 8\n[membership]\nout_of_view_grace_seconds = -1\n", 3, "membership.out_of_view_grace_seconds", "must be in [0,")]
    [InlineData("nodes = 8\nsimulated_crypto = 1\n", 2, "simulated_crypto", "true or false")]
    public void Invalid_values_name_line_and_key(string toml, int line, string key, string message)
    {
        var ex = Assert.Throws<ScenarioException>(() => ScenarioLoader.Parse(toml, "bad.toml"));

        ScenarioError error = Assert.Single(ex.Errors);
        Assert.Equal(line, error.Line);
        Assert.Equal(key, error.Key);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.StartsWith($"bad.toml:{line}: {key}", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Syntax_errors_name_the_line()
    {
        var ex = Assert.Throws<ScenarioException>(() => ScenarioLoader.Parse("nodes = 8\nrounds = = 3\n", "broken.toml"));

        Assert.Contains(ex.Errors, e => e.Line == 2 && e.Source == "broken.toml");
    }

    [Fact]
    public void Every_problem_is_reported_not_only_the_first()
    {
        var ex = Assert.Throws<ScenarioException>(() => ScenarioLoader.Parse("nodes = 1\nrounds = 0\ncolour = 3\n", "many.toml"));

        Assert.Equal(["nodes", "rounds", "colour"], ex.Errors.Select(e => e.Key));
    }

    [Fact]
    public void A_missing_file_is_a_clear_error()
    {
        var ex = Assert.Throws<ScenarioException>(() => ScenarioLoader.Load(Path.Combine(Shipped, "no-such.toml")));

        Assert.StartsWith("no-such.toml: cannot be read", ex.Message, StringComparison.Ordinal);
    }
}
