using System.Globalization;
using System.Net;
using FedMesh.Node.Audit;
using FedMesh.Node.Configuration;
using FedMesh.Node.Data;
using FedMesh.Node.Data.Redaction;
using FedMesh.Node.Discovery;
using FedMesh.Node.Learning;
using FedMesh.Node.Membership;
using FedMesh.Node.Merge;
using FedMesh.Node.Mesh;
using FedMesh.Node.Privacy;
using FedMesh.Node.Reputation;
using FedMesh.Node.Storage;
using FedMesh.Protocol.Deltas;
using FedMesh.Protocol.Identity;
using Microsoft.Extensions.Logging;

namespace FedMesh.Node.Hosting;

/// <summary>A node assembled from configuration, with everything it owns (disposed together).</summary>
public sealed class AssembledNode : IAsyncDisposable
{
    internal AssembledNode(NodeRuntime runtime, StateDirectory state, NodeIdentity identity, ILearner learner, IDisposable[] owned)
    {
        Runtime = runtime;
        State = state;
        Identity = identity;
        Learner = learner;
        _owned = owned;
    }

    private readonly IDisposable[] _owned;

    public NodeRuntime Runtime { get; }

    public StateDirectory State { get; }

    public NodeIdentity Identity { get; }

    public ILearner Learner { get; }

    public async ValueTask DisposeAsync()
    {
        await Runtime.DisposeAsync().ConfigureAwait(false);

        // The learner (and the base model under it) outlive the runtime's stop: a round still inside a long learner
        // call when the stop's wait ran out must finish before they go (SIGTERM in the middle of a held-out
        // evaluation disposed the learner under it: "round loop failed: Cannot access a disposed object").
        await Runtime.LoopsEnded.ConfigureAwait(false);
        foreach (IDisposable d in _owned.Reverse())
        {
            d.Dispose();
        }
    }
}

/// <summary>Builds a <see cref="NodeRuntime"/> from <see cref="NodeOptions"/>: state directory, identity, base
/// model, local data, learner, privacy ledger, reputation, merge rule, audit log, checkpoints, peer book.</summary>
public static class NodeFactory
{
    /// <summary>Model sizes the configuration may name (learning.model_size).</summary>
    public static readonly IReadOnlyDictionary<string, ModelOptions> ModelSizes = new Dictionary<string, ModelOptions>(StringComparer.Ordinal)
    {
        // The default: 2 layers, width 128, 4 heads, context 64 (~0.48 M parameters): trains at ~48 steps/s on 2 cores.
        ["tiny"] = ModelOptions.Default,
        // Four times the compute of tiny per token; for lab servers.
        ["small"] = ModelOptions.Default with { Layers = 4, Width = 256, Heads = 8, Context = 128 },
    };

    public static AssembledNode Create(NodeOptions options, ILoggerFactory loggers, TimeProvider time, IProgress<PretrainProgress>? pretrainProgress = null, CancellationToken cancellationToken = default, NodeHooks? hooks = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggers);
        ILogger log = loggers.CreateLogger("FedMesh.Node");
        var owned = new List<IDisposable>();
        StateDirectory state = StateDirectory.Open(options.Node.StateDir, loggers.CreateLogger<StateDirectory>());
        owned.Add(state);
        try
        {
            StatePaths paths = state.Paths;
            StateDirectory.EnsurePrivateDirectory(ExportDirectory(paths), loggers.CreateLogger<StateDirectory>());
            NodeIdentity identity = File.Exists(paths.IdentityKey) ? KeyFile.Load(paths.IdentityKey) : KeyFile.Create(paths.IdentityKey);
            owned.Add(identity);

            if (!ModelSizes.TryGetValue(options.Learning.ModelSize, out ModelOptions? model))
            {
                throw new ConfigException([new ConfigError("config", null, "learning.model_size", $"must be one of {string.Join(", ", ModelSizes.Keys)}, got \"{options.Learning.ModelSize}\"")]);
            }

            (LoraOptions lora, TrainerOptions trainer) = LearnerOptions(options.Learning, options.Network.MeshId);

            // Everything that can be wrong with the configuration or the data folder is found before the base model
            // loads (or is pretrained, which takes minutes on a first start): a bad start fails in seconds.
            IReadOnlySet<PeerId>? allowlist = ClosedMeshAllowlist(options, paths);
            if (!Directory.Exists(options.Data.Folder))
            {
                throw new InvalidDataException($"data.folder {options.Data.Folder} does not exist: create it and put this node's training files (.txt, .jsonl) in it");
            }

            var loader = new LocalDataLoader(DataLoadOptions.Default, new Redactor(Redaction(options.Data)), loggers.CreateLogger<LocalDataLoader>());
            LocalDataSet data = loader.Load(options.Data.Folder, cancellationToken);
            if (data.Documents.Count == 0)
            {
                throw new InvalidDataException($"data.folder {options.Data.Folder} holds no usable documents ({data.Report})");
            }

            TrainingSplit split = TrainingSplit.Create(data, (ulong)options.Node.Seed, options.Data.HoldoutFraction);
            bool builtinBase = options.Learning.Base == LearningBase.Builtin;
            if (builtinBase && lora.Modules is { Count: > 0 })
            {
                throw new ConfigException([new ConfigError("config", null, "learning.lora_targets",
                    $"names PEFT modules ({string.Join(", ", lora.Modules)}), which only a Hugging Face base has; learning.base is \"builtin\" (use q, k, v, o, mlp_up, mlp_down)")]);
            }

            // Windows are bytes for the built-in model, tokens (≥ 1 byte each) on a Hugging Face base.
            int windowContext = builtinBase ? model.Context : options.Learning.Context;
            if (split.Problem(windowContext, options.Data.Folder, options.Data.HoldoutFraction) is { } tooSmall)
            {
                throw new InvalidDataException(tooSmall);
            }

            IReadOnlyList<string> train = split.Train;
            IReadOnlyList<string> holdout = split.Holdout;

            // The privacy unit is one training document (record); at record level the learner runs DP-SGD over them.
            NodePrivacy privacy = NodePrivacy.Resolve(options.Privacy, train.Count, trainer.BatchSize, options.Gossip.LocalSteps);
            LogPrivacy(log, privacy, train.Count, options.Privacy.PlannedRounds);
            PrivacyMechanismFile.Write(paths.PrivacyMechanism, privacy.Ledger);
            LearningBase learningBase = hooks?.Base ?? LearningBase.Resolve(options.Learning.Base, options.Learning.Context, () => BaseModelCache.GetOrCreate(
                PretrainOptions.Default with { Model = model, Steps = options.Learning.PretrainSteps },
                progress: pretrainProgress,
                logger: loggers.CreateLogger("FedMesh.Learning"),
                cancellationToken: cancellationToken));
            if (hooks?.Base is null)
            {
                owned.Add(learningBase);
            }

            Protocol.IO.AtomicFile.Write(paths.BaseRef, System.Text.Encoding.ASCII.GetBytes(learningBase.HashHex + "\n"), StateDirectory.FileMode);

            TrainerOptions learnerTrainer = trainer with { DpSgd = privacy.DpSgd };
            TorchLearner learner = hooks?.DpSeed is { } dpSeed
                ? learningBase.CreateLearner(lora, learnerTrainer, train, loggers.CreateLogger<TorchLearner>(), dpSeed)
                : learningBase.CreateLearner(lora, learnerTrainer, train, loggers.CreateLogger<TorchLearner>());
            owned.Add(learner);
            if (options.Learning.InitAdapter.Length > 0)
            {
                // The starting point only: a checkpoint restored below (a node that has run before) replaces it.
                learningBase.LoadAdapter(options.Learning.InitAdapter, learner);
            }

            var mesh = new LocalMesh(NodeRuntime.MeshIdFor(options.Network.MeshId), learner.BaseModelHash, learner.Schema);
            bool privacyOn = privacy.Ledger is not null;
            PrivacyLedger? ledger = privacy.Ledger is { } privacyOptions
                ? PrivacyLedger.Open(paths.PrivacyLedger, privacyOptions, time, loggers.CreateLogger<PrivacyLedger>())
                : null;
            if (ledger is not null)
            {
                owned.Add(ledger);
            }

            ReputationOptions reputationOptions = ReputationOptionsOf(options.Trust);
            ReputationTracker reputation = File.Exists(paths.Trust)
                ? ReputationTracker.Load(paths.Trust, reputationOptions, time, loggers.CreateLogger<ReputationTracker>())
                : new ReputationTracker(reputationOptions, time, loggers.CreateLogger<ReputationTracker>());
            var gate = new ValidationGate(
                ValidationGateOptions.Default with { RelativeMargin = options.Trust.ValidationMargin },
                adapter => learner.Evaluate(holdout, adapter).Loss,
                reputation,
                loggers.CreateLogger<ValidationGate>());
            var aggregator = new RobustAggregator(Aggregator(options.Merge), loggers.CreateLogger<RobustAggregator>());
            var signer = identity.SigningKey;
            Func<float[], float[]>? attack = hooks?.Release;
            if (attack is not null)
            {
                NodeFactoryLog.ReleaseHookActive(log, hooks!.Description ?? "unnamed");
            }

            var rounds = new RoundCoordinator(
                learner,
                aggregator,
                reputation,
                gate,
                privacy.Level == PrivacyLevel.Node
                    ? new LocalDpMechanism(privacy.Ledger!, hooks?.DpSeed is { } nodeSeed ? GaussianNoiseSource.CreateSeeded(nodeSeed) : GaussianNoiseSource.CreateSecure())
                    : null,
                ledger,
                signer,
                mesh,
                time,
                MeshOptions.Default with
                {
                    LocalSteps = options.Gossip.LocalSteps,
                    Mode = Gossip.GossipModes.Parse(options.Gossip.Mode),
                    MixingDegree = options.Gossip.Fanout,
                    Encoding = Gossip.WireEncodings.Parse(options.Gossip.Encoding),
                    Density = options.Gossip.Density,
                    PrivacyEnabled = privacyOn,
                    RoundPeriod = TimeSpan.FromSeconds(options.Gossip.PeriodSeconds),
                    PeerDistanceBound = options.Merge.NormBound,
                    Staleness = StalenessOptions.Default with { MaxAgeRounds = options.Merge.MaxStalenessRounds },
                })
            {
                ReleaseAttack = attack,
            };
            AuditLog audit = AuditLog.Open(paths.AuditLog, time, loggers.CreateLogger<AuditLog>());
            owned.Add(audit);
            string sequencePath = paths.Sequence;
            ulong? persisted = SequenceFile.Read(sequencePath, out string? sequenceProblem);
            ulong resumeAfter = SequenceFile.Resume(persisted, () => audit.HighestSequenceSent(identity.PeerId.Value), time.GetUtcNow());
            if (sequenceProblem is not null)
            {
                // Recovered rather than refused: resuming above every sequence known to be used keeps our deltas
                // acceptable to peers, where stopping would only ask the operator to delete the file.
                NodeFactoryLog.SequenceRecovered(log, sequencePath, sequenceProblem, resumeAfter);
            }

            rounds.ResumeSequence(resumeAfter);
            var listen = new IPEndPoint(IPAddress.Parse(options.Network.ListenAddress), options.Network.ListenPort);
            // A node listening on loopback is in a mesh on this host (the demo, test labs): there, a peer's loopback
            // addresses in peer exchange are its real ones; anywhere else PexSanity refuses them.
            var book = new PeerBook(identity.PeerId, time, PeerBookOptions.Default with { AllowLoopbackFromPex = IPAddress.IsLoopback(listen.Address) }, loggers.CreateLogger<PeerBook>());
            if (File.Exists(paths.Peers))
            {
                book.Load(paths.Peers);
            }

            var parts = new NodeParts
            {
                Identity = identity,
                Mesh = mesh,
                MeshName = options.Network.MeshId,
                Listen = listen,
                Seeds = Seed.ParseList(options.Network.Seeds),
                Allowlist = allowlist,
                Mdns = options.Network.Mdns,
                MaxConnections = options.Network.MaxConnections,
                MaxPeers = options.Network.MaxPeers,
                PeerSampling = options.Membership.ToOptions(),
                Gossip = GossipOptionsOf(options.Gossip, rounds.Options.Mode, rounds.Options.StalenessHorizon),
                Rounds = rounds,
                Learner = learner,
                HeldOut = holdout,
                RoundPeriod = TimeSpan.FromSeconds(options.Gossip.PeriodSeconds),
                MaxRounds = options.Gossip.MaxRounds,
                Audit = audit,
                Ledger = ledger,
                PrivacyEnabled = privacyOn,
                Reputation = reputation,
                Checkpoints = new CheckpointStore(paths.Checkpoints, options.Checkpoints, time, loggers.CreateLogger<CheckpointStore>()),
                PeerBook = book,
                PeerBookPath = paths.Peers,
                SequencePath = sequencePath,
                Export = l => AdapterCheckpoint.Save(ExportDirectory(paths), l, lora, StateDirectory.FileMode),
                AdminListen = options.Admin.Enabled ? ListenEndPoint(options.Admin.Listen) : null,
                MetricsListen = options.Metrics.Enabled ? ListenEndPoint(options.Metrics.Listen) : null,
                EndpointsPath = paths.Endpoints,
                Transport = hooks?.Transport ?? Transport.TcpTransportFactory.Instance,
                SimulatedCrypto = hooks?.SimulatedCrypto ?? false,
                Time = time,
                Seed = (int)(options.Node.Seed & int.MaxValue),
            };
            var runtime = new NodeRuntime(parts, loggers);
            long restored = runtime.RestoreCheckpoint();
            NodeFactoryLog.Assembled(log, identity.PeerId.Value, learningBase.HashHex[..16], learner.Schema.TotalElements, train.Count, holdout.Count, restored);
            return new AssembledNode(runtime, state, identity, learner, [.. owned.Where(o => o is not StateDirectory)]);
        }
        catch
        {
            foreach (IDisposable d in Enumerable.Reverse(owned))
            {
                d.Dispose();
            }

            throw;
        }
    }

    /// <summary>An admin/metrics listen address, validated by the configuration loader (ConfigKeys).</summary>
    private static IPEndPoint ListenEndPoint(string hostPort) =>
        Configuration.Internal.KeyChecks.TryParseListen(hostPort, out IPEndPoint endPoint)
            ? endPoint
            : throw new ArgumentException($"not a listen address: {hostPort}", nameof(hostPort));

    private static void LogPrivacy(ILogger log, NodePrivacy privacy, int records, long plannedRounds)
    {
        if (privacy.Ledger is not { } o)
        {
            NodeFactoryLog.PrivacyOff(log);
            return;
        }

        NodeFactoryLog.PrivacyMechanism(
            log, PrivacyLevels.Name(o.Level), o.NoiseMultiplier, privacy.PlannedSigma ? "planned" : "configured", o.ClipNorm, o.SamplingRate, records,
            o.StepsPerRelease, o.BudgetEpsilon, o.BudgetDelta);
        if (privacy.RoundsWithinBudget < plannedRounds)
        {
            NodeFactoryLog.PrivacyBudgetShort(log, privacy.RoundsWithinBudget, plannedRounds, o.BudgetEpsilon);
        }
    }

    /// <summary>Where the daemon keeps the latest adapter in export format (read by `fedmesh export`).</summary>
    public static string ExportDirectory(StatePaths paths) => paths.Adapter;

    /// <summary>
    /// The peers a closed mesh admits (<see cref="Membership.Allowlist"/>: network.allowlist and the state
    /// directory's file that <c>fedmesh trust add</c> writes), or null for an open mesh. A closed mesh with nobody
    /// on it could never learn anything, so that is a start error.
    /// </summary>
    internal static IReadOnlySet<PeerId>? ClosedMeshAllowlist(NodeOptions options, StatePaths paths)
    {
        if (!options.Network.Closed)
        {
            return null;
        }

        IReadOnlyList<string> ids = Membership.Allowlist.Load(options, paths);
        return ids.Count > 0
            ? ids.Select(PeerId.Parse).ToHashSet()
            : throw new ConfigException([new ConfigError("config", null, "network.closed",
                $"is true but no peer is allowed: network.allowlist is empty and {paths.Allowlist} lists no one (add peers with `fedmesh trust add PEER_ID`)")]);
    }

    /// <summary>The <c>[data]</c> redaction keys → the redactor's policy (the daemon and <c>fedmesh data check</c> use it).</summary>
    internal static RedactionOptions Redaction(DataSection data)
    {
        RedactionOptions baseline = data.RedactionRules ? RedactionOptions.Default : RedactionOptions.None;
        return baseline with
        {
            CustomRules = data.RedactionPatterns.Select((p, i) => new CustomRedactionRule($"custom{i + 1}", p, "[REDACTED]")).ToArray(),
            DropJsonFields = data.DropJsonFields,
        };
    }

    /// <summary>
    /// The <c>[learning]</c> section → the learner's adapter and trainer options: what a node builds its learner from,
    /// and what the demo builds its in-process baselines from, so the two cannot drift apart.
    /// </summary>
    /// <param name="meshName">network.mesh_id: with FFA-LoRA it seeds the frozen A, which every node of the mesh
    /// must share and nobody sends.</param>
    public static (LoraOptions Lora, TrainerOptions Trainer) LearnerOptions(LearningSection learning, string meshName)
    {
        string[] modules = learning.LoraTargets.Where(LoraTargetNames.IsModuleName).ToArray();
        string[] shortNames = learning.LoraTargets.Where(n => !LoraTargetNames.IsModuleName(n)).ToArray();
        var lora = LoraOptions.Default with
        {
            Rank = learning.LoraRank,
            Alpha = (float)learning.LoraAlpha,
            // PEFT module names (Hugging Face bases) win over the short names when any is given.
            Targets = shortNames.Length > 0 ? Targets(shortNames) : LoraOptions.Default.Targets,
            Modules = modules.Length > 0 ? modules : null,
            FreezeA = learning.LoraFrozenA,
        };
        var trainer = TrainerOptions.Default with
        {
            BatchSize = learning.BatchSize,
            LearningRate = (float)learning.LearningRate,
            Threads = learning.Threads == 0 ? Environment.ProcessorCount : learning.Threads,
            MaxEvalBytes = learning.EvalBytes,
            // The seed fixes the LoRA A initialisation, which must be the same on every node of a mesh (states
            // are averaged factor by factor); batches differ anyway because every node's data differs.
            Seed = learning.LoraFrozenA ? FrozenASeed(meshName) : 1,
        };
        return (lora, trainer);
    }

    /// <summary>FFA-LoRA's seed of A: the first 31 bits of the mesh id (SHA-256 of its name, <see cref="Protocol.Identity.MeshId"/>),
    /// so every node of a mesh derives the same frozen A and another mesh a different one, with no bytes exchanged.</summary>
    public static int FrozenASeed(string meshName) =>
        (int)(System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(Protocol.Identity.MeshId.FromName(meshName)) & int.MaxValue);

    /// <summary>learning.lora_targets names → flags.</summary>
    internal static LoraTargets Targets(IReadOnlyList<string> names) =>
        LoraTargetNames.TryParse(names, out LoraTargets targets, out string? unknown)
            ? targets
            : throw new ConfigException([new ConfigError("config", null, "learning.lora_targets", $"unknown target \"{unknown}\" ({LoraTargetNames.Known})")]);

    /// <summary>The gossip engine's options from the <c>[gossip]</c> section, the round coordinator's mode and its
    /// staleness horizon (a delta older than the merge would use is not worth relaying).</summary>
    internal static Gossip.GossipOptions GossipOptionsOf(GossipSection gossip, Gossip.GossipMode mode, TimeSpan maxDeltaAge) =>
        Gossip.GossipOptions.Default with { Fanout = gossip.Fanout, FanoutPastIgnored = gossip.FanoutPastIgnored, Mode = mode, MaxDeltaAge = maxDeltaAge };

    /// <summary>Reputation's options from the <c>[trust]</c> section (the rest are the library's defaults).</summary>
    internal static ReputationOptions ReputationOptionsOf(TrustSection trust) =>
        ReputationOptions.Default with
        {
            ShareCopyWeight = trust.CopyEvidence,
            CosineLinkNeedsCloseCall = trust.CopyLinksNeedCloseCall,
            CopyShareExponent = trust.CopyShareExponent,
            PushPastCosine = trust.PushPastCosine,
            UnscoredMemoryRounds = trust.UnscoredMemoryRounds,
        };

    internal static AggregatorOptions Aggregator(MergeSection merge)
    {
        if (!AggregationRuleNames.TryParse(merge.Rule, out AggregationRule rule, out _))
        {
            throw new ConfigException([new ConfigError("config", null, "merge.rule", $"unknown rule \"{merge.Rule}\"")]);
        }

        return AggregatorOptions.Default with
        {
            Rule = rule,
            TrimFraction = merge.TrimFraction,
            KrumByzantine = merge.ByzantineF,
        };
    }
}

// 6070–6079: node assembly (6050–6069 are the runtime's, see Log.cs).
internal static partial class NodeFactoryLog
{
    [Microsoft.Extensions.Logging.LoggerMessage(EventId = 6070, Level = LogLevel.Information,
        Message = "Node {PeerId}: base {BaseHash}…, adapter {Parameters} parameters, {Train} training / {Holdout} held-out documents, resumed at round {Round}")]
    public static partial void Assembled(ILogger logger, string peerId, string baseHash, long parameters, int train, int holdout, long round);

    [Microsoft.Extensions.Logging.LoggerMessage(EventId = 6071, Level = LogLevel.Warning,
        Message = "release hook {Hook}: this node publishes TRANSFORMED states (the test kit's attack host, never the fedmesh program)")]
    public static partial void ReleaseHookActive(ILogger logger, string hook);

    [Microsoft.Extensions.Logging.LoggerMessage(EventId = 6072, Level = LogLevel.Warning,
        Message = "Sequence file {Path} is damaged ({Problem}); resuming after {Sequence}, above the highest sequence the audit log records as sent and the current time in ms, so no sequence is reused. The file is rewritten at the next release")]
    public static partial void SequenceRecovered(ILogger logger, string path, string problem, ulong sequence);

    [Microsoft.Extensions.Logging.LoggerMessage(EventId = 6073, Level = LogLevel.Warning,
        Message = "Differential privacy is OFF (privacy.level = \"off\"): updates leave this node as trained")]
    public static partial void PrivacyOff(ILogger logger);

    [Microsoft.Extensions.Logging.LoggerMessage(EventId = 6074, Level = LogLevel.Information,
        Message = "Privacy {Level} level: sigma {Sigma:G4} ({How}), C {Clip:G4}, q {Q:G4} over {Records} records, {Steps} steps charged per round, budget epsilon {Epsilon} at delta {Delta:G3}")]
    public static partial void PrivacyMechanism(ILogger logger, string level, double sigma, string how, double clip, double q, int records, long steps, double epsilon, double delta);

    [Microsoft.Extensions.Logging.LoggerMessage(EventId = 6075, Level = LogLevel.Warning,
        Message = "The privacy budget lasts {Rounds} rounds, fewer than privacy.planned_rounds = {Planned} (epsilon {Epsilon}); after that rounds neither train nor release. Set privacy.noise_multiplier = 0 to plan sigma, or see `fedmesh privacy plan`")]
    public static partial void PrivacyBudgetShort(ILogger logger, long rounds, long planned, double epsilon);
}
