using System.Diagnostics;
using System.Numerics.Tensors;
using FedMesh.Node.Gossip;
using FedMesh.Node.Learning;
using FedMesh.Node.Merge;
using FedMesh.Node.Privacy;
using FedMesh.Node.Reputation;
using FedMesh.Node.Reputation.Internal;
using FedMesh.Protocol.Deltas;
using FedMesh.Protocol.Identity;
using NSec.Cryptography;

namespace FedMesh.Node.Mesh;

/// <summary>
/// One node's learning rounds (SPEC.md §10). What travels is each node's adapter *state* (an adapter is itself a
/// delta to the shared base model). Each round:
/// <list type="number">
/// <item>train <see cref="MeshOptions.LocalSteps"/> steps from the current state x (update u);</item>
/// <item>privatize u (clip to C, add N(0, σ²C²)), record the release in the ledger (durably, before anything
/// leaves), and release x + ũ, signed; the node's own state becomes x + ũ, so everything it ever sends is a
/// function of earlier releases and noise-protected updates (post-processing);</item>
/// <item>pull any peer state farther from its own than the distance bound in to that distance
/// (<see cref="MeshOptions.PeerDistanceBound"/>), then merge its own state with the newest state of each other origin heard from (one entry per origin: a
/// node's own contribution and every peer's count once however many paths delivered them, so the average stays
/// unbiased under asymmetric gossip), weighted by trust × γ^age, with the configured robust rule centered on its
/// own state; reputation then scores each contributor on its distance to the aggregate and on its deviation
/// history (<see cref="CollusionMath"/>: colluders' histories point the same way), and the origins it ignored on their
/// distance to the aggregate (<see cref="ReputationOptions.ObserveIgnored"/>), except in a round whose inputs are
/// mostly pulled-in far states (<see cref="ReputationEvidence"/>);</item>
/// <item>adopt the merged candidate only if the held-out loss does not get worse by more than the gate's margin.</item>
/// </list>
/// Not thread-safe: the daemon's round loop (or the simulator) calls it; <see cref="Offer"/> may be called between
/// rounds from the same loop.
/// </summary>
public sealed partial class RoundCoordinator
{
    private readonly ILearner _learner;
    private readonly IAggregator _aggregator;
    private readonly ReputationTracker _reputation;
    private readonly ValidationGate? _gate;
    private readonly LocalDpMechanism? _dp;
    private readonly PrivacyLedger? _ledger;
    private readonly Key _signingKey;
    private readonly LocalMesh _mesh;
    private readonly TimeProvider _time;
    private readonly MeshOptions _options;
    private readonly Dictionary<PeerId, InboxEntry> _inbox = [];

    /// <summary>The inbox in merge order, rebuilt each round by <see cref="NewestFirst"/>.</summary>
    private readonly List<(InboxEntry Entry, int Index)> _newestFirst = [];

    /// <summary><see cref="Merge"/>'s per-round scratch: the entries merged, the origins pulled in by the distance
    /// bound, and the states merged by origin.</summary>
    private readonly List<InboxEntry> _contributors = [];
    private readonly List<InboxEntry> _ignoredScratch = [];
    private readonly HashSet<PeerId> _bounded = [];
    private readonly Dictionary<PeerId, float[]> _received = [];
    private readonly ErrorFeedback _feedback = new();
    private float[]? _lastReleasedValues;
    private ulong _lastSequence;
    private DateTimeOffset? _lastRoundAt;
    private TimeSpan _roundInterval;
    private DeviationHistory? _history;
    private double _lastChange;

    /// <summary>This node's state before its last merge, when the merge moved it (a fallback side information for
    /// modulo int8 releases, <see cref="ModuloReferences"/>); null when the merge left it where it was.</summary>
    private float[]? _beforeMerge;

    /// <summary>Per-node part of the sparse mask's seed (the public key's first 4 bytes): stable across runs, unlike
    /// string hash codes, so a simulated run with the same keys draws the same masks.</summary>
    private readonly int _maskSeed;

    public RoundCoordinator(
        ILearner learner,
        IAggregator aggregator,
        ReputationTracker reputation,
        ValidationGate? gate,
        LocalDpMechanism? dp,
        PrivacyLedger? ledger,
        Key signingKey,
        LocalMesh mesh,
        TimeProvider time,
        MeshOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Problem() is { } problem)
        {
            throw new ArgumentException(problem, nameof(options));
        }

        if (options.PrivacyEnabled && (ledger is null || (dp is null && ledger.Options.Level == PrivacyLevel.Node)))
        {
            throw new ArgumentException("privacy is enabled but no mechanism or ledger was given", nameof(options));
        }

        _learner = learner ?? throw new ArgumentNullException(nameof(learner));
        _aggregator = aggregator ?? throw new ArgumentNullException(nameof(aggregator));
        _reputation = reputation ?? throw new ArgumentNullException(nameof(reputation));
        _gate = gate;
        _dp = dp;
        _ledger = ledger;
        _signingKey = signingKey ?? throw new ArgumentNullException(nameof(signingKey));
        _mesh = mesh ?? throw new ArgumentNullException(nameof(mesh));
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _options = options;
        byte[] publicKey = signingKey.PublicKey.Export(KeyBlobFormat.RawPublicKey);
        Self = PeerId.FromPublicKey(publicKey);
        _maskSeed = System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(publicKey);
    }

    public PeerId Self { get; }

    /// <summary>Rounds completed.</summary>
    public long Round { get; private set; }

    /// <summary>Origins whose newest state is waiting to be merged.</summary>
    public int InboxCount => _inbox.Count;

    /// <summary>
    /// The first sequence of this process: sequences must grow across restarts (peers drop anything not newer than
    /// what they saw), so they start at the larger of the persisted last one + 1 and the current Unix time in ms.
    /// </summary>
    public void ResumeSequence(ulong lastPersisted) => _lastSequence = Math.Max(_lastSequence, lastPersisted);

    /// <summary>
    /// Continues round numbering after a checkpoint restore: without it a restarted daemon counted from 1 again,
    /// so its status went backwards, <c>gossip.max_rounds</c> ran that many rounds anew and staleness ages were
    /// computed against the wrong round.
    /// </summary>
    public void ResumeRound(long completed) => Round = Math.Max(Round, completed);

    /// <summary>
    /// Test-only fault injection (the test kit's attack host sets it through Hosting.NodeHooks): maps the state about to be released to the
    /// state actually signed and sent. The node keeps its honest state; only what peers see is attacked. Null (the
    /// normal case) releases the honest state.
    /// </summary>
    public Func<float[], float[]>? ReleaseAttack { get; init; }

    /// <summary>
    /// Peers this node's release can go to (connected and ready); the host sets it before each round. 0 = unknown.
    /// </summary>
    public int Neighbours { get; set; }

    /// <summary>The out-degree neighbours-mode mixing assumes: the fanout, or fewer when fewer peers are connected.</summary>
    public int OutDegree => Neighbours > 0 ? Math.Min(_options.MixingDegree, Neighbours) : _options.MixingDegree;

    /// <summary>The last sequence used for a release (persist it to resume after a restart).</summary>
    public ulong LastSequence => _lastSequence;

    /// <summary>The options this coordinator runs with.</summary>
    public MeshOptions Options => _options;

    /// <summary>
    /// A verified peer state arrived (decoded from a delta the gossip engine verified). Returns null when it is
    /// waiting to be merged (or was ignored: this node's own, or not newer than the origin's state already waiting),
    /// else why it was refused: a state of another length, or a manifest timestamp outside the clock bounds
    /// (<see cref="ManifestClock"/>; the engine checks them on arrival too, this guards every other caller).
    /// </summary>
    /// <remarks>
    /// A state is dated by its manifest but never later than when it reached this node
    /// (<see cref="StoredDelta.ReceivedAt"/>): a timestamp ahead of this node's clock (within the allowed skew) used
    /// to be clamped to age 0, so the state kept full weight and was never evicted for as long as it was ahead.
    /// </remarks>
    public string? Offer(StoredDelta delta, float[] state)
    {
        ArgumentNullException.ThrowIfNull(delta);
        ArgumentNullException.ThrowIfNull(state);
        DeltaManifest m = delta.Delta.Manifest;
        PeerId origin = PeerId.FromPublicKey(m.Origin.Span);
        if (origin == Self)
        {
            return null;
        }

        if (state.Length != _mesh.Schema.TotalElements)
        {
            return $"state has {state.Length} values, the adapter schema {_mesh.Schema.TotalElements}";
        }

        DateTimeOffset made;
        try
        {
            made = ManifestClock.Check(m.TimestampMs, _time.GetUtcNow(), _options.StalenessHorizon);
        }
        catch (FedMesh.Protocol.ProtocolException ex)
        {
            return ex.Message;
        }

        if (_inbox.TryGetValue(origin, out InboxEntry? existing) && existing.Sequence >= m.Sequence)
        {
            return null;
        }

        // A sparse state (SPEC §5.4 code 3) leaves elements out: remember which, so the merge uses this node's own
        // value there (RandomK.FillAbsent) instead of the 0 the decoder wrote.
        bool[]? carried = null;
        if (DeltaDecoder.IsSparse(m))
        {
            try
            {
                _ = DeltaDecoder.DecodeFlat(m, delta.Payload.Span, out carried);
            }
            catch (FedMesh.Protocol.ProtocolException ex)
            {
                return ex.Message;
            }
        }

        // The receiver's own state now: the time base of a sparse copy (RandomK.Overlay moves kept elements by it).
        float[]? ownNow = carried is null ? null : _learner.GetAdapter();
        if (carried is not null && existing is not null)
        {
            // The receiver's copy of the origin's state (CHOCO-SGD's public copy x̂, Koloskova et al. 2019, kept best
            // effort because a neighbours-mode node does not hear every release): the elements this release carries
            // overwrite the copy's, the others keep the origin's last value heard here instead of falling back to this
            // node's own. Without it an element mixes only in the rounds it is drawn (density × the dense mixing).
            (state, carried) = existing.OwnAt is { } ownThen && ownThen.Length == ownNow!.Length
                ? RandomK.Overlay(existing.State, existing.Carried, state, carried, ownThen, ownNow)
                : RandomK.Overlay(existing.State, existing.Carried, state, carried);
        }

        DateTimeOffset dated = made < delta.ReceivedAt ? made : delta.ReceivedAt;
        _inbox[origin] = new InboxEntry(origin, delta.ContentIdHex, m.Sequence, state, dated, carried, ownNow);
        return null;
    }

    /// <summary>Runs one round: train, privatize and release, merge, gate, adopt.</summary>
    public RoundReport RunRound(CancellationToken cancellationToken)
    {
        long round = ++Round;
        ObserveRoundInterval(_time.GetUtcNow());
        float[] before = _learner.GetAdapter();
        if (_options.PrivacyEnabled && _ledger!.Options.Level == PrivacyLevel.Record)
        {
            return RunRecordLevelRound(round, before, cancellationToken);
        }

        LocalRound local = _learner.Train(_options.LocalSteps, cancellationToken);
        double updateNorm = TensorPrimitives.Norm(local.Delta);
        if (DeltaValidator.IndexOfNonFinite(local.Delta) >= 0)
        {
            return Finish(round, before, (float[])before.Clone(), local.MeanLoss, updateNorm, null, default, DivergedReason);
        }

        float[] own = (float[])before.Clone();
        SignedDelta? released = null;
        ReadOnlyMemory<byte> payload = default;
        string? notReleased = null;
        if (_options.PrivacyEnabled)
        {
            PrivatizedDelta privatized = _dp!.Privatize(local.Delta);
            TensorPrimitives.Add(own, privatized.Values, own);
            // Node level: the update is not subsampled, so q travels as nil (SPEC §5.2: nil = node level).
            (released, payload) = Sign(ReleaseAttack?.Invoke(own) ?? own, new DpParameters(privatized.ClipNorm, privatized.NoiseMultiplier, null));
            ReleaseDecision decision = _ledger!.ReserveRelease(privatized.Release, Convert.ToHexStringLower(released.ContentId));
            if (!decision.Granted)
            {
                // Nothing leaves; the node keeps learning from its raw update and keeps merging what it receives.
                (released, payload, notReleased) = (null, default, decision.Reason);
                Array.Copy(before, own, own.Length);
                TensorPrimitives.Add(own, local.Delta, own);
            }
        }
        else
        {
            TensorPrimitives.Add(own, local.Delta, own);
            (released, payload) = Sign(ReleaseAttack?.Invoke(own) ?? own, new DpParameters(0, 0, null));
        }

        return Finish(round, before, own, local.MeanLoss, updateNorm, released, payload, notReleased);
    }

    /// <summary>
    /// A record-level round: the round's DP-SGD steps — each a Poisson-subsampled Gaussian mechanism (q, σ) over the
    /// local records — are charged to the ledger durably *before* training touches the data, so neither a crash
    /// mid-round nor a refused release under-counts ε; when the charge would exceed the budget the node does not
    /// train at all (its data is not touched again) and only merges what it receives. The trained adapter is
    /// post-processing of the noised steps, so releasing it costs nothing more; merging peers' released states is
    /// post-processing of their mechanisms too.
    /// </summary>
    private RoundReport RunRecordLevelRound(long round, float[] before, CancellationToken cancellationToken)
    {
        GaussianRelease charge = _ledger!.Options.DefaultRelease;
        // The release's sequence is fixed now and names the charge ("seq-N"), so an auditor can match every release a
        // peer holds (its manifest sequence) to the charge made before its round trained.
        ulong sequence = NextSequence();
        ReleaseDecision decision = _ledger.ReserveRelease(charge, ChargeId(sequence));
        float[] own = (float[])before.Clone();
        SignedDelta? released = null;
        ReadOnlyMemory<byte> payload = default;
        LocalRound? local = null;
        if (decision.Granted)
        {
            local = _learner.Train(_options.LocalSteps, cancellationToken);
            if (DeltaValidator.IndexOfNonFinite(local.Delta) >= 0)
            {
                // The charge stays: the steps ran on the data. Nothing leaves and the diverged state is not adopted.
                return Finish(round, before, own, local.MeanLoss, TensorPrimitives.Norm(local.Delta), null, default, DivergedReason);
            }

            TensorPrimitives.Add(own, local.Delta, own);
            (released, payload) = Sign(ReleaseAttack?.Invoke(own) ?? own, new DpParameters(charge.ClipNorm, charge.NoiseMultiplier, charge.SamplingRate), sequence);
        }

        return Finish(
            round, before, own, local?.MeanLoss ?? double.NaN, local is null ? 0 : TensorPrimitives.Norm(local.Delta), released, payload,
            decision.Granted ? null : $"not trained: {decision.Reason}");
    }

    /// <summary>Why a round whose local update has NaN or infinite coordinates (<see cref="DeltaValidator.IndexOfNonFinite"/>)
    /// released nothing. A diverged local step (too large a rate, node-level noise that pushed the state far off) can be
    /// neither clipped nor merged, and adopting it would leave the node unable to learn from its peers again.</summary>
    public const string DivergedReason = "local update not finite (training diverged): not released, not adopted; the node keeps its state and merges what it receives";

    /// <summary>The ledger content id of a record-level round's charge: "seq-" and the sequence its release carries.</summary>
    public static string ChargeId(ulong sequence) => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"seq-{sequence}");

    /// <summary>How far a peer state may be from this node's own before the merge pulls it in to that distance (0: no
    /// bound): <c>merge.norm_bound</c> when set, else <see cref="MeshOptions.AutoDistanceFactor"/> × this node's last
    /// change (0 until it has trained).</summary>
    private double DistanceBound() =>
        _options.PeerDistanceBound > 0 ? _options.PeerDistanceBound : MeshOptions.AutoDistanceFactor * _lastChange;

    /// <summary>Merges <paramref name="own"/> with the inbox, adopts the result and reports the round.</summary>
    private RoundReport Finish(
        long round, float[] before, float[] own, double trainLoss, double updateNorm, SignedDelta? released, ReadOnlyMemory<byte> payload, string? notReleased)
    {
        if (released is not null)
        {
            _feedback.Commit();
        }
        else
        {
            _feedback.Discard();
        }

        double change = TensorPrimitives.Distance(before, own);
        // A round that did not train (budget exhausted at record level) has no change of its own: keep the last
        // round's scale for the automatic distance bound, or every peer state would be pulled onto this one.
        _lastChange = change > 0 ? change : _lastChange;
        double bound = DistanceBound();
        var (adopted, report) = Merge(round, own, bound);
        _learner.SetAdapter(adopted);
        // own is this round's array (nothing else holds it) unless the merge returned it as the adopted state.
        _beforeMerge = ReferenceEquals(adopted, own) ? null : own;
        return report with
        {
            TrainLoss = trainLoss,
            Released = released,
            ReleasedPayload = payload,
            ReleasedValues = released is null ? null : _lastReleasedValues,
            NotReleasedReason = notReleased,
            UpdateNorm = updateNorm,
        };
    }

    private (float[] Adopted, RoundReport Report) Merge(long round, float[] own, double distanceBound)
    {
        DateTimeOffset now = _time.GetUtcNow();
        var decisions = new List<MergeDecision>();
        var inputs = new List<DeltaInput> { new(own, 1.0, Self.Value) };
        // Scratch reused across rounds (cleared here; none of it leaves Merge) instead of a new list, set and
        // dictionary each round.
        List<InboxEntry> contributors = _contributors;
        HashSet<PeerId> bounded = _bounded;
        Dictionary<PeerId, float[]> received = _received;
        List<InboxEntry> ignored = _ignoredScratch;
        ignored.Clear();
        contributors.Clear();
        bounded.Clear();
        received.Clear();
        var divergence = new List<KeyValuePair<string, double>>();
        int distrusted = 0;
        foreach ((InboxEntry entry, _) in NewestFirst())
        {
            // Never negative: entries are dated no later than their arrival, which is before this round.
            long age = Math.Max(0, (long)((now - entry.Timestamp) / RoundUnit));
            double weight = _reputation.GetWeight(entry.Origin) * StalenessDiscount.Factor(round - age, round, _options.Staleness);
            if (age > _options.Staleness.MaxAgeRounds)
            {
                _inbox.Remove(entry.Origin);
                decisions.Add(Decision(entry, merged: false, $"stale: {age} rounds old"));
                continue;
            }

            if (weight <= 0)
            {
                distrusted++;
                ignored.Add(entry);
                decisions.Add(Decision(entry, merged: false, "origin ignored: trust below threshold"));
                continue;
            }

            if (contributors.Count + 1 >= _options.MaxMergeInputs)
            {
                decisions.Add(Decision(entry, merged: false, "over the per-round merge cap (older than the newest states)"));
                continue;
            }

            float[] state = entry.State;
            if (entry.Carried is { } carried)
            {
                // Copy: the inbox keeps the state as received; the elements it left out are this round's own values.
                state = (float[])state.Clone();
                RandomK.FillAbsent(own, state, carried);
            }

            received[entry.Origin] = state;
            divergence.Add(new(entry.Origin.Value, TensorPrimitives.Distance(own, state)));
            float scale = NormBounding.DistanceScaleFor(own, state, distanceBound);
            if (scale < 1f)
            {
                // Copy: the inbox keeps the state as received (a later round re-bounds it against a newer own state).
                state = (float[])state.Clone();
                NormBounding.PullTowards(own, state, scale);
                bounded.Add(entry.Origin);
            }

            inputs.Add(new DeltaInput(state, weight, entry.Origin.Value));
            contributors.Add(entry);
        }

        if (_options.Mode == GossipMode.Neighbours)
        {
            // Metropolis–Hastings mixing: own state 1 + max(m, d) − m against 1 per neighbour state (MixingWeights),
            // d = this node's out-degree less the neighbours reputation cut off (their edges are out of the mixing
            // graph). Uniform once m ≥ d; a node that heard from fewer peers than it sends to keeps more of its own
            // state rather than adopting one neighbour's.
            int degree = Math.Max(0, OutDegree - distrusted);
            inputs[0] = inputs[0] with { Weight = MixingWeights.OwnWeight(contributors.Count, degree) };
        }

        if (contributors.Count == 0)
        {
            return (own, new RoundReport { Round = round, TrainLoss = 0, Decisions = decisions, Adopted = false });
        }

        ShareCopyWeight(contributors, inputs, received);
        var stopwatch = Stopwatch.StartNew();
        float[] candidate = new float[own.Length];
        // The node's own last change is centered clipping's radius when its median radius is 0 (one neighbour heard).
        AggregationResult result = _aggregator.Aggregate(inputs, candidate, own, _lastChange);
        stopwatch.Stop();

        var distances = new List<KeyValuePair<PeerId, double>>();
        int mergedCount = 0, rejected = 0;
        for (int i = 1; i < inputs.Count; i++)
        {
            InboxEntry entry = contributors[i - 1];
            DeltaOutcome outcome = result.Outcomes[i];
            if (outcome.Accepted)
            {
                mergedCount++;
                if (!double.IsNaN(outcome.DistanceToAggregate))
                {
                    distances.Add(new(entry.Origin, outcome.DistanceToAggregate));
                }
            }
            else
            {
                rejected++;
                _reputation.RecordRejected(entry.Origin);
            }

            string merged = bounded.Contains(entry.Origin)
                ? $"merged (farther than {distanceBound:G4} from this node's state: pulled in to that distance)"
                : "merged";
            decisions.Add(Decision(entry, outcome.Accepted, outcome.Accepted ? merged : $"{outcome.Rejection}: {outcome.Detail}"));
        }

        // A round whose inputs are mostly states pulled in by the distance bound has an aggregate those far states set:
        // scoring by distance to it would reward them (ReputationEvidence). Rejections above still count.
        bool scored = ReputationEvidence.ScoresRound(bounded.Count, inputs.Count);
        _reputation.RecordMergeEvidence(scored);
        if (distances.Count > 0 && scored)
        {
            // The histories take every measured deviation (HistoryScores observes them); a round with pulled-in
            // inputs then caps their observations and sets the history scores aside (ReputationEvidence.ObservationCaps).
            double[]? history = HistoryScores(distances, candidate, received);
            IReadOnlyList<double>? caps = history;
            if (bounded.Count > 0)
            {
                var isBounded = new bool[distances.Count];
                for (int i = 0; i < isBounded.Length; i++)
                {
                    isBounded[i] = bounded.Contains(distances[i].Key);
                }

                caps = ReputationEvidence.ObservationCaps(isBounded, history);
            }

            _reputation.RecordRound(distances, caps);
            ObserveIgnored(ignored, distances, candidate, own);
        }

        if (!result.HasAggregate)
        {
            return (own, new RoundReport { Round = round, TrainLoss = 0, Merged = 0, Rejected = rejected, Bounded = bounded.Count, ReputationUnscored = !scored, Decisions = decisions, MergeTime = stopwatch.Elapsed, PeerDivergence = divergence });
        }

        bool adopt = true;
        string? gateReason = null;
        double? heldOutLoss = null;
        (double, double)? gateLosses = null;
        if (_gate is not null)
        {
            GateDecision gate = _gate.Evaluate(own, candidate, contributors.Select(c => c.Origin).ToArray());
            adopt = gate.Accepted;
            gateReason = gate.Accepted ? null : gate.Reason;
            heldOutLoss = gate.Accepted ? gate.CandidateLoss : gate.CurrentLoss;
            gateLosses = (gate.CurrentLoss, gate.CandidateLoss);
        }

        return (adopt ? candidate : own, new RoundReport
        {
            Round = round,
            TrainLoss = 0,
            Merged = mergedCount,
            Rejected = rejected,
            Bounded = bounded.Count,
            ReputationUnscored = !scored,
            Adopted = adopt,
            GateReason = gateReason,
            HeldOutLoss = heldOutLoss,
            MergeTime = stopwatch.Elapsed,
            Decisions = decisions,
            DriftDistance = adopt ? TensorPrimitives.Distance(own, candidate) : 0,
            GateLosses = gateLosses,
            PeerDivergence = divergence,
        });
    }

    /// <summary>
    /// What "one round" of age is in time: the nominal period, or the node's measured round interval when rounds run
    /// slower than that (a loaded machine, a slow learner). Measuring age in nominal periods alone made every peer
    /// state look several rounds old when rounds overran the period, so γ^age all but dropped them: measured in
    /// <c>fedmesh demo</c> at load average 27, rounds took ≈ 35 s against a 6 s period and nodes merged nothing in
    /// half their rounds. Capped at <see cref="MaxRoundUnitPeriods"/> periods so one long stall (a suspended process)
    /// does not make arbitrarily old states look fresh.
    /// </summary>
    public TimeSpan RoundUnit
    {
        get
        {
            TimeSpan unit = _roundInterval > _options.RoundPeriod ? _roundInterval : _options.RoundPeriod;
            TimeSpan cap = _options.RoundPeriod * MaxRoundUnitPeriods;
            return unit < cap ? unit : cap;
        }
    }

    /// <summary>Largest round unit, in nominal periods (see <see cref="RoundUnit"/>).</summary>
    public const int MaxRoundUnitPeriods = 10;

    /// <summary>Weight of the newest interval in the moving average: 0.3 follows a change in load within ≈ 3 rounds
    /// while one odd round moves the unit by under a third.</summary>
    private const double RoundIntervalSmoothing = 0.3;

    private void ObserveRoundInterval(DateTimeOffset now)
    {
        if (_lastRoundAt is { } last && now > last)
        {
            TimeSpan interval = now - last;
            _roundInterval = _roundInterval == TimeSpan.Zero
                ? interval
                : (_roundInterval * (1 - RoundIntervalSmoothing)) + (interval * RoundIntervalSmoothing);
        }

        _lastRoundAt = now;
    }

    /// <summary>
    /// The inbox's entries, newest first; entries of the same time keep the inbox's order (what a stable
    /// OrderByDescending gave). Into a list reused across rounds: the LINQ sort and its copy allocated a sorter, key
    /// and index arrays and the result every round. The caller may change the inbox while walking it.
    /// </summary>
    private List<(InboxEntry Entry, int Index)> NewestFirst()
    {
        _newestFirst.Clear();
        foreach (InboxEntry entry in _inbox.Values)
        {
            _newestFirst.Add((entry, _newestFirst.Count));
        }

        _newestFirst.Sort(static (a, b) => b.Entry.Timestamp.CompareTo(a.Entry.Timestamp) is var newer and not 0 ? newer : a.Index.CompareTo(b.Index));
        return _newestFirst;
    }

    /// <summary>
    /// Adds each measured contributor's deviation from the aggregate to its history and scores the histories against
    /// each other (<see cref="CollusionMath"/>); null when the option is off. Origins no longer in the inbox are
    /// forgotten, which bounds the history to the inbox.
    /// </summary>
    private double[]? HistoryScores(List<KeyValuePair<PeerId, double>> measured, float[] aggregate, Dictionary<PeerId, float[]> received)
    {
        ReputationOptions o = _reputation.Options;
        if (!o.ScoreCollusion)
        {
            return null;
        }

        _history ??= new DeviationHistory(o.HistoryDecay);
        _history.Retain(_inbox);
        var peers = new PeerId[measured.Count];
        for (int i = 0; i < measured.Count; i++)
        {
            peers[i] = measured[i].Key;
            _history.Observe(peers[i], received[peers[i]], aggregate);
        }

        return _history.Scores(peers, o.CollusionCosineLow, o.CollusionCosineHigh);
    }

    /// <summary>
    /// Scores each origin the merge ignored on its newest state's distance to the aggregate, against the merged peers'
    /// median distance (<see cref="ReputationOptions.ObserveIgnored"/>), so an honest peer ignored in rounds when this
    /// node was off can earn its way back; a sparse state is completed with this node's own values as in the merge.
    /// </summary>
    private void ObserveIgnored(List<InboxEntry> ignored, List<KeyValuePair<PeerId, double>> distances, float[] aggregate, float[] own)
    {
        if (!_reputation.Options.ObserveIgnored || ignored.Count == 0)
        {
            return;
        }

        double median = TrustMath.Median(distances.Select(d => d.Value).Where(double.IsFinite).ToArray());
        foreach (InboxEntry entry in ignored)
        {
            float[] state = entry.State;
            if (entry.Carried is { } carried)
            {
                state = (float[])state.Clone();
                RandomK.FillAbsent(own, state, carried);
            }

            _reputation.RecordDistance(entry.Origin, TensorPrimitives.Distance(state, aggregate), median);
        }
    }

    /// <summary>The next release sequence: max(last + 1, now in Unix ms), so sequences grow across restarts.</summary>
    private ulong NextSequence() => _lastSequence = Math.Max(_lastSequence + 1, (ulong)_time.GetUtcNow().ToUnixTimeMilliseconds());

    private (SignedDelta Delta, ReadOnlyMemory<byte> Payload) Sign(float[] state, DpParameters privacy, ulong? sequence = null)
    {
        DateTimeOffset now = _time.GetUtcNow();
        _lastSequence = sequence ?? NextSequence();
        // Lossy encodings send the state plus the rounding earlier releases lost (ErrorFeedback); the rounding is
        // applied to the privatized state, after the noise: post-processing, the guarantee is unchanged.
        bool feedback = _options.Encoding != TensorEncoding.Float32 && _options.ErrorFeedback;
        float[] target = feedback ? _feedback.Compensate(state) : state;
        // Sparse: a random subset of each tensor, drawn independently of the data (RandomK), seeded by this node and
        // the release's sequence so a simulated run is reproducible.
        bool[]? carried = _options.Encoding.IsSparse()
            ? RandomK.Mask(_mesh.Schema, _options.Density, new Random(_maskSeed ^ (int)_lastSequence ^ (int)(_lastSequence >> 32)))
            : null;
        bool modulo = _options.Encoding == TensorEncoding.ModuloInt8;
        EncodedDelta encoded = carried is not null
            ? DeltaEncoder.EncodeFlatSparse(_mesh.Schema, target, carried)
            : modulo
                ? EncodeModulo(target)
                : DeltaEncoder.EncodeFlat(_mesh.Schema, target, _options.Encoding);
        var header = new DeltaHeader
        {
            MeshId = _mesh.MeshId,
            BaseModelHash = _mesh.BaseModelHash,
            Schema = _mesh.Schema,
            Sequence = _lastSequence,
            Timestamp = now,
            Privacy = privacy,
        };
        SignedDelta signed = SignedDelta.Create(_signingKey, header, encoded, _options.SignatureMemo);
        _lastReleasedValues = null;
        if (modulo)
        {
            // What every receiver within range decodes: the sender's own target is its own perfect side information.
            _lastReleasedValues = DeltaDecoder.DecodeFlatAgainst(signed.Manifest, encoded.Payload.Span, target);
        }

        if (feedback)
        {
            float[] sent = _lastReleasedValues ?? DeltaDecoder.DecodeFlat(signed.Manifest, encoded.Payload.Span);
            if (carried is not null)
            {
                // An element left out keeps its residual: "sent" = the uncompensated state there, so target − sent is
                // the residual it already had and goes out with the element the next time it is drawn.
                RandomK.FillAbsent(state, sent, carried);
            }

            _feedback.Prepare(target, sent);
        }

        return (signed, encoded.Payload);
    }

    /// <summary>
    /// <c>gossip.encoding = "int8-wz"</c>: each tensor as modulo int8 (SPEC §5.4 code 5) with the step
    /// <see cref="ModuloStep"/> draws from the inbox, or as plain int8 where that step would not be finer than int8's
    /// (nothing heard yet, or states spread as widely as the values: a real adapter's DP-noised tensors can be). The
    /// manifest names each tensor's encoding, so receivers decode either; the sender never rounds more coarsely than
    /// int8 would.
    /// </summary>
    private EncodedDelta EncodeModulo(float[] target)
    {
        int count = _mesh.Schema.Tensors.Count;
        var encodings = new TensorEncoding[count];
        var steps = new float[count];
        List<float[]> fitted = ModuloSpreadStates(target);
        int offset = 0;
        float[]? difference = null;
        for (int t = 0; t < count; t++)
        {
            int n = (int)_mesh.Schema.Tensors[t].ElementCount;
            ReadOnlySpan<float> x = target.AsSpan(offset, n);
            double maxAbs = Math.Abs(TensorPrimitives.MaxMagnitude(x));
            double spread = -1;
            foreach (float[] state in fitted)
            {
                difference ??= new float[target.Length];
                Span<float> d = difference.AsSpan(0, n);
                TensorPrimitives.Subtract(x, state.AsSpan(offset, n), d);
                spread = Math.Max(spread, Math.Abs(TensorPrimitives.MaxMagnitude(d)));
            }

            float? step = ModuloStep(maxAbs, spread, _options.ModuloMargin);
            encodings[t] = step is null ? TensorEncoding.Int8 : TensorEncoding.ModuloInt8;
            steps[t] = step ?? 0f;
            offset += n;
        }

        return DeltaEncoder.EncodeFlatMixed(_mesh.Schema, target, encodings, steps);
    }

    /// <summary>
    /// The inbox states a modulo release's step is fitted to: every one except those both beyond the merge's distance
    /// bound of <paramref name="target"/> and from an origin this node's reputation ignores. Fitting the step to every
    /// state, as first built, let an attacker's far state (byzantine-30's sign flip, scaling, noise) push every honest
    /// sender that heard it back to plain int8, 100× coarser than its neighbourhood needs near consensus, long after
    /// reputation had cut the attacker off. A state that is far for an honest reason (a joiner starting from the initial
    /// adapter, a partition's other side) comes from an origin that is not ignored and still widens the step, so that
    /// node decodes its neighbours' releases and comes within range. An ignored node that far fails the release's check
    /// against its own state and the other states it tries (<see cref="ModuloReferences"/>) and drops the release.
    /// </summary>
    private List<float[]> ModuloSpreadStates(float[] target)
    {
        double bound = DistanceBound();
        var fitted = new List<float[]>(_inbox.Count);
        foreach (InboxEntry entry in _inbox.Values)
        {
            // Beyond the bound exactly as the merge decides it (NormBounding: a scale below 1 pulls the state in).
            if (entry.State.Length == target.Length
                && (!_reputation.IsIgnored(entry.Origin) || NormBounding.DistanceScaleFor(target, entry.State, bound) >= 1f))
            {
                fitted.Add(entry.State);
            }
        }

        return fitted;
    }

    /// <summary>
    /// The modulo int8 step of a tensor with largest magnitude <paramref name="maxAbs"/> whose largest per-element
    /// difference from the states this node heard is <paramref name="spread"/> (negative: nothing heard):
    /// <paramref name="margin"/> × spread / 127, so a receiver as far away as the farthest state heard is 127 / margin
    /// steps off, rounded up to the next binary32 and at least max|x| / 2^22 (the codec's range) and the least normal
    /// float; null where that step is not finer than int8's max|x| / 127 (or nothing was heard): int8 then rounds at
    /// least as finely and needs no side information.
    /// </summary>
    public static float? ModuloStep(double maxAbs, double spread, double margin)
    {
        if (spread < 0)
        {
            return null;
        }

        double step = margin * spread / 127;
        if (step >= maxAbs / 127)
        {
            return null;
        }

        // Rounded up to the next binary32 so that the float step is never below the bound computed in binary64.
        return MathF.BitIncrement((float)Math.Max(step, Math.Max(maxAbs / (1 << 22), ModuloMinStep)));
    }

    /// <summary>The least normal binary32 (2^−126), the smallest step SPEC §5.4 code 5 allows.</summary>
    private static readonly double ModuloMinStep = Math.Pow(2, -126);

    /// <summary>
    /// Decodes a received state against this node's own current state: needed for modulo int8 releases (SPEC §5.4
    /// code 5), whose elements are resolved against the receiver's values; the host calls it between rounds, on the
    /// thread that runs them. When the release is too far from this node's state to pass its check, it is resolved
    /// against up to <see cref="ModuloReferences.MaxFallbacks"/> other states this node holds (its state before its
    /// last merge, the origin's previous state, the other peers' states nearest its own: <see cref="ModuloReferences"/>);
    /// when none passes, the first refusal is thrown: <see cref="FedMesh.Protocol.ProtocolException"/>.
    /// </summary>
    public float[] DecodeAgainstOwn(DeltaManifest manifest, ReadOnlySpan<byte> payload)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        float[] own = _learner.GetAdapter();
        try
        {
            return DeltaDecoder.DecodeFlatAgainst(manifest, payload, own);
        }
        catch (FedMesh.Protocol.ProtocolException)
        {
            PeerId origin = PeerId.FromPublicKey(manifest.Origin.Span);
            // Sparse copies hold this node's values where the origin's are missing: not a state of anyone's.
            float[]? previous = _inbox.TryGetValue(origin, out InboxEntry? entry) && entry.Carried is null ? entry.State : null;
            var others = new List<float[]>(_inbox.Count);
            foreach (InboxEntry held in _inbox.Values)
            {
                if (held.Carried is null && held.Origin != origin)
                {
                    others.Add(held.State);
                }
            }

            foreach (float[] reference in ModuloReferences.Order(own, [_beforeMerge, previous], others))
            {
                try
                {
                    return DeltaDecoder.DecodeFlatAgainst(manifest, payload, reference);
                }
                catch (FedMesh.Protocol.ProtocolException)
                {
                    // Out of range of this one too: the next.
                }
            }

            throw;
        }
    }

    private static MergeDecision Decision(InboxEntry entry, bool merged, string reason) =>
        new(entry.Origin.Value, entry.ContentIdHex, entry.Sequence, TensorPrimitives.Norm(entry.State), merged, reason);

    /// <summary>A peer's newest state; <paramref name="Carried"/> is null for a dense state, else which elements it holds,
    /// and <paramref name="OwnAt"/> this node's own state when it was laid down (the copy's time base).</summary>
    private sealed record InboxEntry(PeerId Origin, string ContentIdHex, ulong Sequence, float[] State, DateTimeOffset Timestamp, bool[]? Carried = null, float[]? OwnAt = null);
}
