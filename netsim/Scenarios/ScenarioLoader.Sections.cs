using FedMesh.NetSim.Network;
using FedMesh.NetSim.Scenarios.Internal;
using FedMesh.Node.Attacks;
using FedMesh.Node.Gossip;
using FedMesh.Node.Learning;
using FedMesh.Node.Learning.Surrogate;
using FedMesh.Node.Merge;
using FedMesh.Node.Configuration;
using FedMesh.Node.Privacy;
using FedMesh.Protocol.Deltas;

namespace FedMesh.NetSim.Scenarios;

/// <summary>Per-table readers of <see cref="ScenarioLoader"/>.</summary>
public static partial class ScenarioLoader
{
    private static TopologySpec ReadTopology(TomlSection t, int nodes)
    {
        var spec = new TopologySpec
        {
            Kind = t.Choice("kind", TopologyKind.Full,
                ("full", TopologyKind.Full), ("random_regular", TopologyKind.RandomRegular),
                ("small_world", TopologyKind.SmallWorld), ("clusters", TopologyKind.Clusters)),
            Degree = t.Int("degree", Math.Min(new TopologySpec().Degree, nodes - 1), 1, MaxNodes),
            Rewire = t.Double("rewire", new TopologySpec().Rewire, 0, 1),
            Clusters = t.Int("clusters", 2, 1, MaxNodes),
            Bridges = t.Int("bridges", 2, 1, 1000),
        };
        switch (spec.Kind)
        {
            case TopologyKind.RandomRegular when spec.Degree >= nodes || (long)spec.Degree * nodes % 2 != 0:
                t.Error("degree", $"a {spec.Degree}-regular graph on {nodes} nodes needs degree < nodes and degree × nodes even");
                break;
            case TopologyKind.SmallWorld when spec.Degree < 2 || spec.Degree >= nodes || spec.Degree % 2 != 0:
                t.Error("degree", $"small_world needs an even degree with 2 ≤ degree < nodes ({nodes}), got {spec.Degree}");
                break;
            case TopologyKind.Clusters when spec.Clusters > nodes:
                t.Error("clusters", $"cannot split {nodes} nodes into {spec.Clusters} clusters");
                break;
            default:
                break;
        }

        return spec;
    }

    /// <summary>A link profile from milliseconds / Mbit/s keys, starting from <paramref name="basis"/>.</summary>
    /// <summary>The keys of a link profile (<c>[links]</c> and degrade events).</summary>
    private static readonly string[] LinkKeys = ["latency_ms", "jitter_ms", "jitter_sigma", "bandwidth_mbps", "loss"];

    private static LinkProfile ReadLinks(TomlSection l, LinkProfile basis) => basis with
    {
        BaseLatency = TimeSpan.FromMilliseconds(l.Double("latency_ms", basis.BaseLatency.TotalMilliseconds, 0, 600_000)),
        JitterMedian = TimeSpan.FromMilliseconds(l.Double("jitter_ms", basis.JitterMedian.TotalMilliseconds, 0, 600_000)),
        JitterSigma = l.Double("jitter_sigma", basis.JitterSigma, 0, 5),
        BandwidthBytesPerSecond = l.Double("bandwidth_mbps", basis.BandwidthBytesPerSecond * 8 / 1e6, 0.001, 1e6, exclusiveMin: true) * 1e6 / 8,
        Loss = l.Double("loss", basis.Loss, 0, 1),
    };

    /// <summary>
    /// <c>[membership]</c>: the daemon's section of the same name (its keys, defaults and ranges; seconds as in
    /// <c>fedmesh.toml</c>), checked by the daemon's own <see cref="FedMesh.Node.Membership.PeerSamplingOptions.Problem"/>.
    /// </summary>
    private static MembershipSection ReadMembership(TomlSection m)
    {
        MembershipSection d = MembershipSection.Default;
        var section = new MembershipSection
        {
            ViewSize = m.Int("view_size", d.ViewSize, 1, FedMesh.Node.Membership.PeerSamplingOptions.MaxViewSize),
            ShuffleLength = m.Int("shuffle_length", d.ShuffleLength, 1, FedMesh.Node.Membership.PeerSamplingOptions.MaxViewSize),
            ShufflePeriodSeconds = m.Double("shuffle_period_seconds", d.ShufflePeriodSeconds, 1, 86_400),
            // Up to a year: "never close a working session for leaving the view" (HyParView's active view).
            OutOfViewGraceSeconds = m.Double("out_of_view_grace_seconds", d.OutOfViewGraceSeconds, 0, 31_536_000),
            MaxInboundSessions = m.Int("max_inbound_sessions", d.MaxInboundSessions, 0, FedMesh.Node.Membership.PeerSamplingOptions.MaxInboundLimit),
        };
        if (section.ToOptions().Problem() is { } problem)
        {
            m.Error("shuffle_length", problem);
        }

        return section;
    }

    private static GossipSpec ReadGossip(TomlSection g) => new()
    {
        Fanout = g.Int("fanout", new GossipSpec().Fanout, 1, 64),
        Mode = g.Choice("mode", new GossipSpec().Mode, (GossipModes.Neighbours, GossipMode.Neighbours), (GossipModes.Flood, GossipMode.Flood)),
        Encoding = g.Choice(
            "encoding", new GossipSpec().Encoding,
            (WireEncodings.Fp32, TensorEncoding.Float32), (WireEncodings.Fp16, TensorEncoding.Float16), (WireEncodings.Int8, TensorEncoding.Int8),
            (WireEncodings.Sparse, TensorEncoding.SparseInt8), (WireEncodings.Int8Block, TensorEncoding.BlockInt8),
            (WireEncodings.Int8Wz, TensorEncoding.ModuloInt8)),
        Density = g.Double("density", new GossipSpec().Density, 0, 1, exclusiveMin: true),
        ModuloMargin = g.Double("modulo_margin", new GossipSpec().ModuloMargin, 1, 1000),
        ErrorFeedback = g.Bool("error_feedback", new GossipSpec().ErrorFeedback),
        MaxMergeInputs = g.Int("max_merge_inputs", new GossipSpec().MaxMergeInputs, 1, 1024),
        Heartbeat = TimeSpan.FromSeconds(g.Double("heartbeat_s", new GossipSpec().Heartbeat.TotalSeconds, 1, 60)),
    };

    private static LearnerSpec ReadLearner(TomlSection l, TomlSection data, int nodes)
    {
        LearnerKind kind = l.Choice("kind", LearnerKind.Surrogate, ("surrogate", LearnerKind.Surrogate), ("torch", LearnerKind.Torch));
        string split = data.Choice("split", kind == LearnerKind.Torch ? "sotu_era" : "iid", ("iid", "iid"), ("dirichlet", "dirichlet"), ("sotu_era", "sotu_era"));
        var spec = new LearnerSpec
        {
            Kind = kind,
            LocalSteps = l.Int("local_steps", new LearnerSpec().LocalSteps, 1, 100_000),
        };
        if (kind == LearnerKind.Torch)
        {
            if (split != "sotu_era")
            {
                data.Error("split", $"learner.kind = \"torch\" trains on the SOTU corpus by era: only \"sotu_era\" is supported, got \"{split}\"");
            }

            return spec with { Torch = ReadTorch(l, nodes) };
        }

        if (split == "sotu_era")
        {
            data.Error("split", "\"sotu_era\" splits text corpora and needs learner.kind = \"torch\"; the surrogate takes \"iid\" or \"dirichlet\"");
        }

        SurrogateOptions d = SurrogateOptions.Default;
        var surrogate = d with
        {
            Dimension = l.Int("dimension", d.Dimension, 1, 1 << 20),
            TrainSamples = l.Int("train_samples", d.TrainSamples, 1, 1 << 20),
            TestSamples = l.Int("test_samples", d.TestSamples, 1, 1 << 20),
            BatchSize = l.Int("batch_size", d.BatchSize, 1, 1 << 20),
            LearningRate = l.Double("learning_rate", d.LearningRate, 0, 1, exclusiveMin: true),
            LearningRateDecaySteps = l.Double("learning_rate_decay_steps", d.LearningRateDecaySteps, 0, 1e9),
            NoiseStd = l.Double("noise", d.NoiseStd, 0, 1e6),
            Split = split == "dirichlet" ? SurrogateSplit.Dirichlet : SurrogateSplit.Iid,
            DirichletAlpha = data.Double("alpha", d.DirichletAlpha, 0, 1e6, exclusiveMin: true),
            Components = data.Int("components", d.Components, 1, 1024),
            Heterogeneity = data.Double("heterogeneity", d.Heterogeneity, 0, 1e6),
        };
        if (surrogate.Problem() is { } problem)
        {
            l.Error("dimension", problem);
        }

        return spec with { Surrogate = surrogate };
    }

    /// <summary>Most nodes of a SOTU era split: each needs its own span of years with enough text to train on and to
    /// hold out an address for its validation gate; 64 eras of the ~210 training addresses keep 3 addresses each.</summary>
    private const int MaxSotuNodes = 64;

    /// <summary>The torch learner's keys; the ranges are what <see cref="TrainerOptions.Validate"/> and
    /// <see cref="LoraOptions.Validate"/> accept (rank at most the default model's width).</summary>
    private static TorchSpec ReadTorch(TomlSection l, int nodes)
    {
        var d = new TorchSpec();
        if (nodes > MaxSotuNodes)
        {
            l.Error("kind", $"the SOTU era split supports at most {MaxSotuNodes} nodes, the scenario has {nodes}");
        }

        LoraTargets targets = d.LoraTargets;
        if (l.Strings("lora_targets") is { } names)
        {
            if (names.Length == 0)
            {
                l.Error("lora_targets", $"must name at least one of {LoraTargetNames.Known}");
            }
            else if (!LoraTargetNames.TryParse(names, out targets, out string? unknown))
            {
                l.Error("lora_targets", $"unknown target \"{unknown}\" (known: {LoraTargetNames.Known})");
                targets = d.LoraTargets;
            }
        }

        // The base's shape (default: the node's "tiny"); smaller shapes make quick tests, and a shape is part of the
        // base cache key, so another shape pretrains (and caches) its own base.
        ModelOptions model = d.Model with
        {
            Layers = l.Int("model_layers", d.Model.Layers, 1, 64),
            Width = l.Int("model_width", d.Model.Width, 8, 4096),
            Heads = l.Int("model_heads", d.Model.Heads, 1, 64),
            Context = l.Int("model_context", d.Model.Context, 8, 4096),
        };
        try
        {
            model.Validate();
        }
        catch (ArgumentException ex)
        {
            l.Error("model_width", ex.Message);
        }

        return d with
        {
            Model = model,
            PretrainSteps = l.Int("pretrain_steps", d.PretrainSteps, 0, 10_000_000),
            BatchSize = l.Int("batch_size", d.BatchSize, 1, 4096),
            LearningRate = (float)l.Double("learning_rate", d.LearningRate, 0, 1, exclusiveMin: true),
            LoraRank = l.Int("lora_rank", d.LoraRank, 1, Math.Min(model.Width, 256)),
            LoraAlpha = (float)l.Double("lora_alpha", d.LoraAlpha, 0, 1e6, exclusiveMin: true),
            LoraTargets = targets,
            Threads = l.Int("threads", d.Threads, 1, 256),
            EvalChars = l.Int("eval_chars", d.EvalChars, 64, 64 << 20),
            Baselines = l.Bool("baselines", d.Baselines),
        };
    }

    private static AggregationRule ReadRule(TomlSection m)
    {
        string? name = m.String("rule");
        if (name is null)
        {
            return AggregatorOptions.Default.Rule;
        }

        if (AggregationRuleNames.TryParse(name, out AggregationRule rule, out string error))
        {
            return rule;
        }

        m.Error("rule", error);
        return AggregatorOptions.Default.Rule;
    }

    /// <summary>
    /// <c>[privacy]</c>: the daemon's own section (<see cref="PrivacySection"/>, same names and ranges as
    /// <c>fedmesh.toml</c>), which every node resolves exactly as <c>fedmesh run</c> does. <c>enabled = false</c> (the
    /// default) is <c>level = "off"</c>. DP runs in the daemon's TorchLearner (record level) or round coordinator
    /// (node level), so it needs <c>learner.kind = "torch"</c>.
    /// </summary>
    private static PrivacySection? ReadPrivacy(TomlSection p, LearnerKind learner, int rounds)
    {
        bool enabled = p.Bool("enabled", false);
        PrivacySection d = PrivacySection.Default;
        string level = p.String("level") ?? d.Level;
        if (PrivacyLevels.Parse(level) is null or PrivacyLevel.Off)
        {
            p.Error("level", $"must be \"{PrivacyLevels.Record}\" or \"{PrivacyLevels.Node}\" (leave privacy off with enabled = false), got \"{level}\"");
        }

        double sigma = p.Double("noise_multiplier", d.NoiseMultiplier, 0, 1e6);
        if (sigma is > 0 and < 0.3)
        {
            p.Error("noise_multiplier", $"must be 0 (plan sigma for planned_rounds) or at least 0.3 (the daemon's floor), got {sigma}");
        }

        var options = d with
        {
            Level = level,
            ClipNorm = p.Double("clip_norm", d.ClipNorm, 0, 1e6, exclusiveMin: true),
            NoiseMultiplier = sigma,
            EpsilonBudget = p.Double("budget_epsilon", d.EpsilonBudget, 0, 1e9, exclusiveMin: true),
            // 0: the daemon's default, min(1e-5, 1/n) over the node's records.
            Delta = p.Double("budget_delta", d.Delta, 0, 0.01),
            // The budget should last the scenario unless the file says otherwise.
            PlannedRounds = p.Int("planned_rounds", rounds, 1, 1_000_000),
        };
        if (enabled && learner != LearnerKind.Torch)
        {
            p.Error("enabled", "differential privacy runs in the daemon's learner: set learner.kind = \"torch\" (the surrogate learner has no DP)");
        }

        return enabled ? options : null;
    }

    private static ByzantineSpec ReadByzantine(TomlSection b, int nodes)
    {
        double fraction = b.Double("fraction", 0, 0, 0.99);
        AttackKind attack = AttackKind.SignFlip;
        if (b.String("attack") is { } name)
        {
            if (!AttackKindNames.TryParse(name, out attack, out string error))
            {
                b.Error("attack", error);
            }
        }

        if (fraction > 0 && (int)(fraction * nodes) == 0)
        {
            b.Error("fraction", $"{fraction} of {nodes} nodes rounds down to no attacker");
        }

        return new ByzantineSpec { Fraction = fraction, Attack = attack };
    }

    private static ChurnSpec ReadChurn(TomlSection c, int rounds) => new()
    {
        Rate = c.Double("rate", 0, 0, 1),
        DowntimeRounds = c.Int("downtime_rounds", new ChurnSpec().DowntimeRounds, 1, rounds),
    };

    private static ScenarioEvent? ReadEvent(TomlSection e, int nodes, int rounds)
    {
        int errorsBefore = e.Errors.Count;
        int round = e.Int("round", 0, 1, rounds);
        if (!e.Has("round"))
        {
            e.Error("round", $"is required (the round, 1..{rounds}, at whose start the event happens)");
        }

        ScenarioEventKind? kind = e.Choice<ScenarioEventKind?>("kind", null,
            ("partition", ScenarioEventKind.Partition), ("heal", ScenarioEventKind.Heal), ("crash", ScenarioEventKind.Crash),
            ("restart", ScenarioEventKind.Restart), ("join", ScenarioEventKind.Join), ("leave", ScenarioEventKind.Leave),
            ("degrade", ScenarioEventKind.Degrade));
        if (kind is null)
        {
            if (!e.Has("kind"))
            {
                e.Error("kind", "is required: partition, heal, crash, restart, join, leave or degrade");
            }

            return null;
        }

        int errorsBeforeNodes = e.Errors.Count;
        int[] members = e.Nodes("nodes", nodes) ?? [];
        bool nodesInvalid = e.Errors.Count > errorsBeforeNodes;
        List<KeyValuePair<string, int[]>> groups = kind == ScenarioEventKind.Partition ? e.Groups("groups", nodes) ?? [] : [];
        LinkProfile? link = kind == ScenarioEventKind.Degrade ? ReadLinks(e, LinkProfile.Default) : null;
        switch (kind)
        {
            case ScenarioEventKind.Partition when groups.Count < 1:
                e.Error("groups", "a partition needs at least one named group, e.g. groups = { east = [0, 1], west = [2, 3] }");
                break;
            case ScenarioEventKind.Partition when groups.SelectMany(g => g.Value).GroupBy(n => n).FirstOrDefault(g => g.Count() > 1) is { } twice:
                e.Error("groups", $"node {twice.Key} is in more than one group");
                break;
            case ScenarioEventKind.Crash or ScenarioEventKind.Restart or ScenarioEventKind.Join or ScenarioEventKind.Leave when members.Length == 0 && !nodesInvalid:
                e.Error("nodes", $"a {kind.ToString()!.ToLowerInvariant()} event needs a non-empty nodes list");
                break;
            default:
                break;
        }

        return e.Errors.Count > errorsBefore ? null : new ScenarioEvent
        {
            Kind = kind.Value,
            Round = round,
            Nodes = members,
            Groups = groups,
            Link = link,
            Line = e.Line,
        };
    }
}
