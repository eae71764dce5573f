using FedMesh.Node.Configuration.Internal;
using FedMesh.Node.Privacy;
using static FedMesh.Node.Configuration.Internal.KeyChecks;

namespace FedMesh.Node.Configuration;

/// <summary>
/// The one list of configuration keys: TOML section and name, type, range, and a one-line doc. Defaults come from
/// the section records (<see cref="NodeOptions.Default"/>). Order here is the order of <c>fedmesh init</c>'s file.
/// </summary>
public static class ConfigKeys
{
    /// <summary>Sections in file order.</summary>
    public static readonly IReadOnlyList<string> Sections =
        ["node", "network", "membership", "gossip", "learning", "data", "merge", "privacy", "trust", "metrics", "admin", "checkpoints"];

    /// <summary>Every key, in file order.</summary>
    public static readonly IReadOnlyList<ConfigKey> All =
    [
        Str("node", "name", "Name shown in logs and metrics.", Name,
            o => o.Node.Name, (o, v) => o with { Node = o.Node with { Name = v } }),
        Str("node", "state_dir", "State directory (identity key, checkpoints, ledgers, audit log); created with mode 0700.", AbsolutePath,
            o => o.Node.StateDir, (o, v) => o with { Node = o.Node with { StateDir = v } }),
        Str("node", "log_format", "Console log format: \"simple\", \"json\" (one object per event, for log shippers) or \"systemd\"; the environment variable Logging__Console__FormatterName wins when set.",
            v => OneOf(v, NodeSection.KnownLogFormats),
            o => o.Node.LogFormat, (o, v) => o with { Node = o.Node with { LogFormat = v } }),
        Long("node", "seed", "Random seed; 0 = seed from OS entropy (production). Set only for reproducible tests.", long.MinValue, long.MaxValue,
            o => o.Node.Seed, (o, v) => o with { Node = o.Node with { Seed = v } }),

        Str("network", "listen_address", "IP address to listen on (\"::\" = all addresses).", IpAddress,
            o => o.Network.ListenAddress, (o, v) => o with { Network = o.Network with { ListenAddress = v } }),
        Int("network", "listen_port", $"TCP port to listen on; 0 = any free port (the port chosen is logged and written to <state_dir>/{Hosting.NodeEndpoints.FileName}).", 0, 65535,
            o => o.Network.ListenPort, (o, v) => o with { Network = o.Network with { ListenPort = v } }),
        Str("network", "mesh_id", "Mesh name; only nodes with the same mesh id talk to each other.", Identifier,
            o => o.Network.MeshId, (o, v) => o with { Network = o.Network with { MeshId = v } }),
        Bool("network", "closed", "Closed mesh: accept only the peers listed in allowlist.",
            o => o.Network.Closed, (o, v) => o with { Network = o.Network with { Closed = v } }),
        List("network", "allowlist", "Peer ids admitted to a closed mesh.", v => Each(v, PeerIdText),
            o => o.Network.Allowlist, (o, v) => o with { Network = o.Network with { Allowlist = v } }),
        List("network", "seeds", "Bootstrap peers, \"host:port\" or \"peerid@host:port\".", v => Each(v, Seed),
            o => o.Network.Seeds, (o, v) => o with { Network = o.Network with { Seeds = v } }),
        Int("network", "max_peers", "Most peers this node dials and keeps in its view; others may still connect to it, up to max_connections.", 1, 1024,
            o => o.Network.MaxPeers, (o, v) => o with { Network = o.Network with { MaxPeers = v } }),
        Int("network", "max_connections", "Most open connections (peers plus handshakes in progress); at least max_peers.", 1, 4096,
            o => o.Network.MaxConnections, (o, v) => o with { Network = o.Network with { MaxConnections = v } }),
        Bool("network", "mdns", "Discover peers on the local network with mDNS (multicast UDP 5353).",
            o => o.Network.Mdns, (o, v) => o with { Network = o.Network with { Mdns = v } }),

        Int("membership", "view_size", "Peers in the Cyclon partial view (SPEC.md §9.10): the node keeps sessions with them and draws gossip targets from them; at most network.max_peers.", 1, Membership.PeerSamplingOptions.MaxViewSize,
            o => o.Membership.ViewSize, (o, v) => o with { Membership = o.Membership with { ViewSize = v } }),
        Int("membership", "shuffle_length", "View entries swapped per shuffle; at most view_size.", 1, Membership.PeerSamplingOptions.MaxViewSize,
            o => o.Membership.ShuffleLength, (o, v) => o with { Membership = o.Membership with { ShuffleLength = v } }),
        Float("membership", "shuffle_period_seconds", "Seconds between Cyclon shuffles.", 1, 86400, minExclusive: false,
            o => o.Membership.ShufflePeriodSeconds, (o, v) => o with { Membership = o.Membership with { ShufflePeriodSeconds = v } }),
        Float("membership", "out_of_view_grace_seconds", "Seconds a session this node dialled may stay outside its view before it is closed (Bye Shutdown); never below view_size sessions, never mid-transfer.", 0, 86400, minExclusive: false,
            o => o.Membership.OutOfViewGraceSeconds, (o, v) => o with { Membership = o.Membership with { OutOfViewGraceSeconds = v } }),
        Int("membership", "max_inbound_sessions", "Most sessions other nodes may dial to this one; 0 = view_size + 2. Over it, a newcomer gets this node's peer list and Bye(Overloaded) and dials others.", 0, Membership.PeerSamplingOptions.MaxInboundLimit,
            o => o.Membership.MaxInboundSessions, (o, v) => o with { Membership = o.Membership with { MaxInboundSessions = v } }),

        Float("gossip", "period_seconds", "Seconds per gossip round.", 0.1, 86400, minExclusive: false,
            o => o.Gossip.PeriodSeconds, (o, v) => o with { Gossip = o.Gossip with { PeriodSeconds = v } }),
        Int("gossip", "fanout", "Peers a delta is pushed to per round.", 1, 64,
            o => o.Gossip.Fanout, (o, v) => o with { Gossip = o.Gossip with { Fanout = v } }),
        Str("gossip", "mode", "Gossip mode: \"neighbours\" (send own state to fanout peers, merge only what neighbours sent: bytes per node flat in the mesh size) or \"flood\" (relay every state to every node).", v => OneOf(v, Gossip.GossipModes.Names),
            o => o.Gossip.Mode, (o, v) => o with { Gossip = o.Gossip with { Mode = v } }),
        Str("gossip", "encoding", $"Wire encoding of released states: {string.Join(", ", Gossip.WireEncodings.Names)} (applied after the DP noise: post-processing).", v => OneOf(v, Gossip.WireEncodings.Names),
            o => o.Gossip.Encoding, (o, v) => o with { Gossip = o.Gossip with { Encoding = v } }),
        Float("gossip", "density", "With encoding \"sparse\": fraction of each tensor's elements a release carries (random-k; for the rest receivers use the origin's earlier value moved by their own drift since, else their own).", 0, 1, minExclusive: true,
            o => o.Gossip.Density, (o, v) => o with { Gossip = o.Gossip with { Density = v } }),
        Bool("gossip", "fanout_past_ignored", "Neighbours mode: a push target whose states this node ignores (reputation below its ignore threshold, 0.3) still gets the release but does not count toward fanout, so each release reaches fanout peers whose states it merges (at most 2 x fanout).",
            o => o.Gossip.FanoutPastIgnored, (o, v) => o with { Gossip = o.Gossip with { FanoutPastIgnored = v } }),
        Int("gossip", "local_steps", "Local optimiser steps per round.", 1, 100_000,
            o => o.Gossip.LocalSteps, (o, v) => o with { Gossip = o.Gossip with { LocalSteps = v } }),
        Long("gossip", "max_rounds", "Stop after this many rounds; 0 = run until stopped.", 0, 1_000_000_000,
            o => o.Gossip.MaxRounds, (o, v) => o with { Gossip = o.Gossip with { MaxRounds = v } }),

        Str("learning", "model_size", $"Base model size: {string.Join(", ", LearningSection.KnownModelSizes)}.", v => OneOf(v, LearningSection.KnownModelSizes),
            o => o.Learning.ModelSize, (o, v) => o with { Learning = o.Learning with { ModelSize = v } }),
        Str("learning", "base", "Base model: \"builtin\", or the absolute path of a Hugging Face model folder or of a `fedmesh pretrain --out` checkpoint.", BaseSetting,
            o => o.Learning.Base, (o, v) => o with { Learning = o.Learning with { Base = v } }),
        Int("learning", "context", "Tokens per window on a Hugging Face base (at most its positions).", 2, 8192,
            o => o.Learning.Context, (o, v) => o with { Learning = o.Learning with { Context = v } }),
        Str("learning", "init_adapter", "Absolute path of an adapter to start from (PEFT or FedMesh export); empty = none.", v => v.Length == 0 ? null : AbsolutePath(v),
            o => o.Learning.InitAdapter, (o, v) => o with { Learning = o.Learning with { InitAdapter = v } }),
        Int("learning", "lora_rank", "LoRA rank r.", 1, 256,
            o => o.Learning.LoraRank, (o, v) => o with { Learning = o.Learning with { LoraRank = v } }),
        Float("learning", "lora_alpha", "LoRA scaling alpha (update scaled by alpha / r).", 0, 4096, minExclusive: true,
            o => o.Learning.LoraAlpha, (o, v) => o with { Learning = o.Learning with { LoraAlpha = v } }),
        List("learning", "lora_targets", "Projections that get adapters (e.g. \"q\", \"k\", \"v\", \"o\"; on a Hugging Face base also PEFT names such as \"c_attn\", \"q_proj\").", LoraTargetList,
            o => o.Learning.LoraTargets, (o, v) => o with { Learning = o.Learning with { LoraTargets = v } }),
        Bool("learning", "lora_frozen_a", "FFA-LoRA: freeze A at an initialisation derived from the mesh id; only B trains and is exchanged.",
            o => o.Learning.LoraFrozenA, (o, v) => o with { Learning = o.Learning with { LoraFrozenA = v } }),
        Float("learning", "lr", "Learning rate.", 0, 1, minExclusive: true,
            o => o.Learning.LearningRate, (o, v) => o with { Learning = o.Learning with { LearningRate = v } }),
        Int("learning", "batch_size", "Sequences per optimiser step.", 1, 4096,
            o => o.Learning.BatchSize, (o, v) => o with { Learning = o.Learning with { BatchSize = v } }),
        Int("learning", "threads", "CPU threads for training; 0 = one per core.", 0, 1024,
            o => o.Learning.Threads, (o, v) => o with { Learning = o.Learning with { Threads = v } }),
        Int("learning", "eval_bytes", "Held-out bytes scored per evaluation (status bpc, validation gate).", 1024, 16 * 1024 * 1024,
            o => o.Learning.EvalBytes, (o, v) => o with { Learning = o.Learning with { EvalBytes = v } }),
        Int("learning", "pretrain_steps", "Steps to pretrain the base model if it is not cached (same on every node).", 1, 10_000_000,
            o => o.Learning.PretrainSteps, (o, v) => o with { Learning = o.Learning with { PretrainSteps = v } }),

        Str("data", "folder", "Folder with the private training data.", AbsolutePath,
            o => o.Data.Folder, (o, v) => o with { Data = o.Data with { Folder = v } }),
        Float("data", "holdout_fraction", "Fraction of the data held out to validate received deltas.", 0, 0.5, minExclusive: false,
            o => o.Data.HoldoutFraction, (o, v) => o with { Data = o.Data with { HoldoutFraction = v } }),
        Bool("data", "redaction_rules", "Apply the built-in redaction rules (e-mail addresses, phone numbers, ...).",
            o => o.Data.RedactionRules, (o, v) => o with { Data = o.Data with { RedactionRules = v } }),
        List("data", "redaction_patterns", "Extra .NET regular expressions whose matches are redacted.", v => Each(v, RegexPattern),
            o => o.Data.RedactionPatterns, (o, v) => o with { Data = o.Data with { RedactionPatterns = v } }),
        List("data", "drop_json_fields", "JSON fields removed from each record before training.", v => Each(v, NonEmpty),
            o => o.Data.DropJsonFields, (o, v) => o with { Data = o.Data with { DropJsonFields = v } }),

        Str("merge", "rule", $"Merge rule: {string.Join(", ", MergeSection.KnownRules)}.", v => OneOf(v, MergeSection.KnownRules),
            o => o.Merge.Rule, (o, v) => o with { Merge = o.Merge with { Rule = v } }),
        Float("merge", "trim_fraction", "trimmed_mean: fraction trimmed from each end per coordinate.", 0, 0.49, minExclusive: false,
            o => o.Merge.TrimFraction, (o, v) => o with { Merge = o.Merge with { TrimFraction = v } }),
        Int("merge", "byzantine_f", "multi_krum: assumed number of Byzantine peers f.", 0, 64,
            o => o.Merge.ByzantineF, (o, v) => o with { Merge = o.Merge with { ByzantineF = v } }),
        Float("merge", "norm_bound", "Peer states farther than this (L2) from the node's own are pulled in to it before merging; 0 = automatic (10 × the node's own change per round).", 0, 1e6, minExclusive: false,
            o => o.Merge.NormBound, (o, v) => o with { Merge = o.Merge with { NormBound = v } }),
        Int("merge", "max_staleness_rounds", "Deltas older than this many rounds are dropped.", 0, 1000,
            o => o.Merge.MaxStalenessRounds, (o, v) => o with { Merge = o.Merge with { MaxStalenessRounds = v } }),

        Str("privacy", "level", "What DP protects: \"record\" (DP-SGD, one document = one record), \"node\" (each round's whole update) or \"off\".",
            v => OneOf(v, PrivacyLevels.Names),
            o => o.Privacy.Level, (o, v) => o with { Privacy = o.Privacy with { Level = v } }),
        Float("privacy", "clip_norm", "Clip norm C: per record (record level) or of the round's update (node level).", 0, 1e6, minExclusive: true,
            o => o.Privacy.ClipNorm, (o, v) => o with { Privacy = o.Privacy with { ClipNorm = v } }),
        Key("privacy", "noise_multiplier", "Noise multiplier sigma (noise std = sigma * C), at least 0.3; 0 = plan it at start so planned_rounds fit the budget.", NoiseMultiplier,
            o => o.Privacy.NoiseMultiplier, (o, v) => o with { Privacy = o.Privacy with { NoiseMultiplier = v } }),
        Float("privacy", "epsilon_budget", "Total privacy budget epsilon; rounds stop training and releasing when it is spent (above ~10 the guarantee is weak).", 0, 1e9, minExclusive: true,
            o => o.Privacy.EpsilonBudget, (o, v) => o with { Privacy = o.Privacy with { EpsilonBudget = v } }),
        Float("privacy", "delta", "DP delta; 0 = min(1e-5, 1 / number of records).", 0, 0.01, minExclusive: false,
            o => o.Privacy.Delta, (o, v) => o with { Privacy = o.Privacy with { Delta = v } }),
        Long("privacy", "planned_rounds", "Rounds the budget must last (used to plan sigma and reported at start).", 1, PrivacyPlanner.MaxRounds,
            o => o.Privacy.PlannedRounds, (o, v) => o with { Privacy = o.Privacy with { PlannedRounds = v } }),

        Float("trust", "validation_margin", "Reject a delta that raises the holdout loss by more than this fraction.", 0, 10, minExclusive: false,
            o => o.Trust.ValidationMargin, (o, v) => o with { Trust = o.Trust with { ValidationMargin = v } }),
        Bool("trust", "copy_evidence", "Peers whose states copy each other or whose deviations keep pointing the same way (colluders) share merge weight, and pushes go past them; off, for a mesh of trusted members, saves the extra pushes and the weight alike honest peers lose (which moves the consensus).",
            o => o.Trust.CopyEvidence, (o, v) => o with { Trust = o.Trust with { CopyEvidence = v } }),
        Bool("trust", "copy_links_need_close_call", "Copy evidence links peers by their deviations' correlation only once one of them was caught in a close call (two states far closer than the merge's spread): alike honest peers keep their weight, so the consensus stays where it is without copy evidence; false links more colluders (ALIE) and moves an honest consensus.",
            o => o.Trust.CopyLinksNeedCloseCall, (o, v) => o with { Trust = o.Trust with { CopyLinksNeedCloseCall = v } }),
        Float("trust", "copy_share_exponent", "Exponent e of a linked input's merge-weight share, (1 + its links in the merge)^-e: 2 weighs k copies of each other as 1/k of one input, 1 as one input, 0 turns the sharing off.", 0, Reputation.ReputationOptions.MaxCopyShareExponent, minExclusive: false,
            o => o.Trust.CopyShareExponent, (o, v) => o with { Trust = o.Trust with { CopyShareExponent = v } }),
        Float("trust", "push_past_cosine", "Mean deviation-history cosine from which pushes go past a peer as if it were ignored (copy evidence); 1 = only exact and near copies.", -1, 1, minExclusive: false,
            o => o.Trust.PushPastCosine, (o, v) => o with { Trust = o.Trust with { PushPastCosine = v } }),
        Int("trust", "unscored_memory_rounds", "Merge rounds after one whose inputs were mostly beyond the distance bound during which the node counts itself under attack and replaces sessions; 0 = wait for an ignored peer.", 0, 1000,
            o => o.Trust.UnscoredMemoryRounds, (o, v) => o with { Trust = o.Trust with { UnscoredMemoryRounds = v } }),

        Bool("metrics", "enabled", "Serve Prometheus metrics.",
            o => o.Metrics.Enabled, (o, v) => o with { Metrics = o.Metrics with { Enabled = v } }),
        Str("metrics", "listen", "IP:port of the metrics endpoint (keep it on loopback or a private network); port 0 = any free port.", ListenHostPort,
            o => o.Metrics.Listen, (o, v) => o with { Metrics = o.Metrics with { Listen = v } }),
        Bool("admin", "enabled", "Serve the local admin API.",
            o => o.Admin.Enabled, (o, v) => o with { Admin = o.Admin with { Enabled = v } }),
        Str("admin", "listen", "IP:port of the admin API (loopback only unless you add authentication in front); port 0 = any free port.", ListenHostPort,
            o => o.Admin.Listen, (o, v) => o with { Admin = o.Admin with { Listen = v } }),

        Int("checkpoints", "keep", "Adapter checkpoints kept in the state directory.", 1, 1000,
            o => o.Checkpoints.Keep, (o, v) => o with { Checkpoints = o.Checkpoints with { Keep = v } }),
        Int("checkpoints", "max_size_mib", "Largest checkpoint read back, in MiB.", 1, 65536,
            o => o.Checkpoints.MaxSizeMiB, (o, v) => o with { Checkpoints = o.Checkpoints with { MaxSizeMiB = v } }),
    ];

    private static readonly Dictionary<string, ConfigKey> ByPath = All.ToDictionary(k => k.Path, StringComparer.Ordinal);

    /// <summary>Finds a key by "section.name".</summary>
    public static ConfigKey? Find(string path) => ByPath.GetValueOrDefault(path);

    private static ConfigKey Int(string section, string name, string doc, int min, int max,
        Func<NodeOptions, int> get, Func<NodeOptions, int, NodeOptions> set) =>
        new(section, name, ConfigValueKind.Integer, doc, o => (long)get(o), (o, v) => set(o, checked((int)(long)v)), v => Range((long)v, min, max));

    private static ConfigKey Long(string section, string name, string doc, long min, long max,
        Func<NodeOptions, long> get, Func<NodeOptions, long, NodeOptions> set) =>
        new(section, name, ConfigValueKind.Integer, doc, o => get(o), (o, v) => set(o, (long)v), v => Range((long)v, min, max));

    private static ConfigKey Float(string section, string name, string doc, double min, double max, bool minExclusive,
        Func<NodeOptions, double> get, Func<NodeOptions, double, NodeOptions> set) =>
        new(section, name, ConfigValueKind.Float, doc, o => get(o), (o, v) => set(o, (double)v), v => Range((double)v, min, max, minExclusive));

    private static ConfigKey Key(string section, string name, string doc, Func<double, string?> check,
        Func<NodeOptions, double> get, Func<NodeOptions, double, NodeOptions> set) =>
        new(section, name, ConfigValueKind.Float, doc, o => get(o), (o, v) => set(o, (double)v), v => check((double)v));

    private static ConfigKey Bool(string section, string name, string doc,
        Func<NodeOptions, bool> get, Func<NodeOptions, bool, NodeOptions> set) =>
        new(section, name, ConfigValueKind.Boolean, doc, o => get(o), (o, v) => set(o, (bool)v), _ => null);

    private static ConfigKey Str(string section, string name, string doc, Func<string, string?> check,
        Func<NodeOptions, string> get, Func<NodeOptions, string, NodeOptions> set) =>
        new(section, name, ConfigValueKind.String, doc, get, (o, v) => set(o, (string)v), v => check((string)v));

    private static ConfigKey List(string section, string name, string doc, Func<IReadOnlyList<string>, string?> check,
        Func<NodeOptions, IReadOnlyList<string>> get, Func<NodeOptions, IReadOnlyList<string>, NodeOptions> set) =>
        new(section, name, ConfigValueKind.StringList, doc, get, (o, v) => set(o, (IReadOnlyList<string>)v), v => check((IReadOnlyList<string>)v));
}
