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

    public static AssembledNode Create(NodeOptions options, ILoggerFactory loggers, TimeProvider time, IProgress<PretrainProgress>? pretrainProgress = null, CancellationToken cancellationToken = default)
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
            NodeIdentity identity = File.Exists(paths.IdentityKey) ? KeyFile.Load(paths.IdentityKey) : KeyFile.Create(paths.IdentityKey);
            owned.Add(identity);

            if (!ModelSizes.TryGetValue(options.Learning.ModelSize, out ModelOptions? model))
            {
                throw new ConfigException([new ConfigError("config", null, "learning.model_size", $"must be one of {string.Join(", ", ModelSizes.Keys)}, got \"{options.Learning.ModelSize}\"")]);
            }

            (LoraOptions lora, TrainerOptions trainer) = LearnerOptions(options.Learning);
            BaseModel baseModel = BaseModelCache.GetOrCreate(
                PretrainOptions.Default with { Model = model, Steps = options.Learning.PretrainSteps },
                progress: pretrainProgress,
                logger: loggers.CreateLogger("FedMesh.Learning"),
                cancellationToken: cancellationToken);
            File.WriteAllText(paths.BaseRef, baseModel.HashHex + "\n");

            var loader = new LocalDataLoader(DataLoadOptions.Default, new Redactor(Redaction(options.Data)), loggers.CreateLogger<LocalDataLoader>());
            LocalDataSet data = loader.Load(options.Data.Folder, cancellationToken);
            if (data.Documents.Count == 0)
            {
                throw new InvalidDataException($"data folder {options.Data.Folder} holds no usable documents ({data.Report})");
            }

            DocumentSplit.Result<LocalDocument> split = data.Split((ulong)options.Node.Seed, options.Data.HoldoutFraction);
            IReadOnlyList<string> train = split.Train.Select(d => d.Text).ToArray();
            IReadOnlyList<string> holdout = split.Holdout.Count > 0 ? split.Holdout.Select(d => d.Text).ToArray() : train.Take(1).ToArray();
            // The privacy unit is one training document (record); at record level the learner runs DP-SGD over them.
            NodePrivacy privacy = NodePrivacy.Resolve(options.Privacy, train.Count, trainer.BatchSize, options.Gossip.LocalSteps);
            LogPrivacy(log, privacy, train.Count, options.Privacy.PlannedRounds);
            var learner = new TorchLearner(baseModel, lora, trainer with { DpSgd = privacy.DpSgd }, train, loggers.CreateLogger<TorchLearner>());
            owned.Add(learner);

            var mesh = new LocalMesh(NodeRuntime.MeshIdFor(options.Network.MeshId), learner.BaseModelHash, learner.Schema);
            bool privacyOn = privacy.Ledger is not null;
            PrivacyLedger? ledger = privacy.Ledger is { } privacyOptions
                ? PrivacyLedger.Open(paths.PrivacyLedger, privacyOptions, time, loggers.CreateLogger<PrivacyLedger>())
                : null;
            if (ledger is not null)
            {
                owned.Add(ledger);
            }

            ReputationTracker reputation = File.Exists(paths.Trust)
                ? ReputationTracker.Load(paths.Trust, ReputationOptions.Default, time, loggers.CreateLogger<ReputationTracker>())
                : new ReputationTracker(ReputationOptions.Default, time, loggers.CreateLogger<ReputationTracker>());
            var gate = new ValidationGate(
                ValidationGateOptions.Default with { RelativeMargin = options.Trust.ValidationMargin },
                adapter => learner.Evaluate(holdout, adapter).Loss,
                reputation,
                loggers.CreateLogger<ValidationGate>());
            var aggregator = new RobustAggregator(Aggregator(options.Merge), loggers.CreateLogger<RobustAggregator>());
            var signer = identity.SigningKey;
            string? attackName = Environment.GetEnvironmentVariable(Attacks.TestAttackSwitch.Variable);
            Func<float[], float[]>? attack = Attacks.TestAttackSwitch.Parse(attackName);
            if (attack is not null)
            {
                NodeFactoryLog.TestAttackActive(log, Attacks.TestAttackSwitch.Variable, attackName!);
            }

            var rounds = new RoundCoordinator(
                learner,
                aggregator,
                reputation,
                gate,
                privacy.Level == PrivacyLevel.Node ? new LocalDpMechanism(privacy.Ledger!, GaussianNoiseSource.CreateSecure()) : null,
                ledger,
                signer,
                mesh,
                time,
                MeshOptions.Default with
                {
                    LocalSteps = options.Gossip.LocalSteps,
                    PrivacyEnabled = privacyOn,
                    RoundPeriod = TimeSpan.FromSeconds(options.Gossip.PeriodSeconds),
                    PeerDistanceBound = options.Merge.NormBound,
                    Staleness = StalenessOptions.Default with { MaxAgeRounds = options.Merge.MaxStalenessRounds },
                })
            {
                ReleaseAttack = attack,
            };
            string sequencePath = Path.Combine(paths.Root, "sequence");
            if (File.Exists(sequencePath) && ulong.TryParse(File.ReadAllText(sequencePath).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out ulong last))
            {
                rounds.ResumeSequence(last);
            }

            AuditLog audit = AuditLog.Open(paths.AuditLog, time, loggers.CreateLogger<AuditLog>());
            owned.Add(audit);
            var book = new PeerBook(identity.PeerId, time, PeerBookOptions.Default, loggers.CreateLogger<PeerBook>());
            if (File.Exists(paths.Peers))
            {
                book.Load(paths.Peers);
            }

            var parts = new NodeParts
            {
                Identity = identity,
                Mesh = mesh,
                MeshName = options.Network.MeshId,
                Listen = new IPEndPoint(IPAddress.Parse(options.Network.ListenAddress), options.Network.ListenPort),
                Seeds = Seed.ParseList(options.Network.Seeds),
                Allowlist = options.Network.Closed
                    ? options.Network.Allowlist.Concat(Cli.NodeCommands.ReadAllowlist(Cli.NodeCommands.AllowlistPath(options))).Select(PeerId.Parse).ToHashSet()
                    : null,
                Mdns = options.Network.Mdns,
                MaxConnections = options.Network.MaxConnections,
                Gossip = Gossip.GossipOptions.Default with { Fanout = options.Gossip.Fanout },
                Rounds = rounds,
                Learner = learner,
                HeldOut = holdout,
                RoundPeriod = TimeSpan.FromSeconds(options.Gossip.PeriodSeconds),
                MaxRounds = options.Gossip.MaxRounds,
                Audit = audit,
                Ledger = ledger,
                Reputation = reputation,
                Checkpoints = new CheckpointStore(paths.Checkpoints, options.Checkpoints, time, loggers.CreateLogger<CheckpointStore>()),
                PeerBook = book,
                PeerBookPath = paths.Peers,
                SequencePath = sequencePath,
                Export = l => AdapterCheckpoint.Save(ExportDirectory(paths), l, lora),
                AdminPrefix = options.Admin.Enabled ? $"http://{options.Admin.Listen}/" : null,
                MetricsPrefix = options.Metrics.Enabled ? $"http://{options.Metrics.Listen}/" : null,
                Time = time,
                Seed = (int)(options.Node.Seed & int.MaxValue),
            };
            var runtime = new NodeRuntime(parts, loggers);
            long restored = runtime.RestoreCheckpoint();
            NodeFactoryLog.Assembled(log, identity.PeerId.Value, baseModel.HashHex[..16], learner.Schema.TotalElements, train.Count, holdout.Count, restored);
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
    public static string ExportDirectory(StatePaths paths) => Path.Combine(paths.Root, "adapter");

    private static RedactionOptions Redaction(DataSection data)
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
    internal static (LoraOptions Lora, TrainerOptions Trainer) LearnerOptions(LearningSection learning)
    {
        var lora = LoraOptions.Default with
        {
            Rank = learning.LoraRank,
            Alpha = (float)learning.LoraAlpha,
            Targets = Targets(learning.LoraTargets),
        };
        var trainer = TrainerOptions.Default with
        {
            BatchSize = learning.BatchSize,
            LearningRate = (float)learning.LearningRate,
            Threads = learning.Threads == 0 ? Environment.ProcessorCount : learning.Threads,
            MaxEvalBytes = learning.EvalBytes,
            // The seed fixes the LoRA A initialisation, which must be the same on every node of a mesh (states
            // are averaged factor by factor); batches differ anyway because every node's data differs.
            Seed = 1,
        };
        return (lora, trainer);
    }

    /// <summary>learning.lora_targets names → flags.</summary>
    internal static LoraTargets Targets(IReadOnlyList<string> names) =>
        LoraTargetNames.TryParse(names, out LoraTargets targets, out string? unknown)
            ? targets
            : throw new ConfigException([new ConfigError("config", null, "learning.lora_targets", $"unknown target \"{unknown}\" ({LoraTargetNames.Known})")]);

    private static AggregatorOptions Aggregator(MergeSection merge)
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

internal static partial class NodeFactoryLog
{
    [Microsoft.Extensions.Logging.LoggerMessage(EventId = 6050, Level = LogLevel.Information,
        Message = "Node {PeerId}: base {BaseHash}…, adapter {Parameters} parameters, {Train} training / {Holdout} held-out documents, resumed at round {Round}")]
    public static partial void Assembled(ILogger logger, string peerId, string baseHash, long parameters, int train, int holdout, long round);

    [Microsoft.Extensions.Logging.LoggerMessage(EventId = 6051, Level = LogLevel.Warning,
        Message = "{Variable}={Attack}: this node publishes ATTACKED states (test-only fault injection)")]
    public static partial void TestAttackActive(ILogger logger, string variable, string attack);

    [Microsoft.Extensions.Logging.LoggerMessage(EventId = 6052, Level = LogLevel.Warning,
        Message = "Differential privacy is OFF (privacy.level = \"off\"): updates leave this node as trained")]
    public static partial void PrivacyOff(ILogger logger);

    [Microsoft.Extensions.Logging.LoggerMessage(EventId = 6053, Level = LogLevel.Information,
        Message = "Privacy {Level} level: sigma {Sigma:G4} ({How}), C {Clip:G4}, q {Q:G4} over {Records} records, {Steps} steps charged per round, budget epsilon {Epsilon} at delta {Delta:G3}")]
    public static partial void PrivacyMechanism(ILogger logger, string level, double sigma, string how, double clip, double q, int records, long steps, double epsilon, double delta);

    [Microsoft.Extensions.Logging.LoggerMessage(EventId = 6054, Level = LogLevel.Warning,
        Message = "The privacy budget lasts {Rounds} rounds, fewer than privacy.planned_rounds = {Planned} (epsilon {Epsilon}); after that rounds neither train nor release. Set privacy.noise_multiplier = 0 to plan sigma, or see `fedmesh privacy plan`")]
    public static partial void PrivacyBudgetShort(ILogger logger, long rounds, long planned, double epsilon);
}
