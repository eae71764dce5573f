using FedMesh.Node.Storage;
using FedMesh.Node.Learning;
using FedMesh.Node.Merge;
using FedMesh.Node.Mesh;
using FedMesh.Node.Privacy;
using FedMesh.Node.Reputation;

namespace FedMesh.Node.Tests.Mesh;

/// <summary>Rounds at privacy.level = "record": charged before training, budget enforced by not training, the level
/// and mechanism in the ledger and the manifest.</summary>
public sealed class RecordLevelRoundTests : IDisposable
{
    /// <summary>q = 16/2000, σ = 0.8, 20 steps a round, C = 1: a record-level DP-SGD round.</summary>
    private static readonly PrivacyOptions Record = PrivacyOptions.Default with
    {
        Level = PrivacyLevel.Record,
        ClipNorm = 1.0,
        NoiseMultiplier = 0.8,
        SamplingRate = 16.0 / 2000,
        StepsPerRelease = 20,
        BudgetEpsilon = 8,
    };

    private readonly string _dir = Directory.CreateTempSubdirectory("fedmesh-record-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private PrivacyLedger OpenLedger(PrivacyOptions options) => PrivacyLedger.Open(new StatePaths(_dir).PrivacyLedger, options);

    private static RoundCoordinator Coordinator(ILearner learner, PrivacyLedger ledger, LocalDpMechanism? dp = null) =>
        CoordinatorKit.WithLedger(learner, ledger, dp, localSteps: 20);

    [Fact]
    public void Each_round_is_charged_before_it_trains_and_the_ledger_epsilon_is_the_accountants()
    {
        using PrivacyLedger ledger = OpenLedger(Record);
        var learner = new WatchedLearner(ledger);
        RoundCoordinator c = Coordinator(learner, ledger);

        for (int round = 1; round <= 3; round++)
        {
            RoundReport report = c.RunRound(CancellationToken.None);
            Assert.NotNull(report.Released);
            // The released manifest names the record-level mechanism: C, σ and the Poisson rate q (non-nil).
            Assert.Equal(new Protocol.Deltas.DpParameters(1.0, 0.8, 16.0 / 2000), report.Released!.Manifest.Privacy);
        }

        Assert.Equal([1, 2, 3], learner.ChargesSeenWhenTraining);
        double accountant = RdpAccountant.EpsilonImproved(
            RdpAccountant.ComposedRdp(RdpAccountant.DefaultOrders, Record.SamplingRate, Record.NoiseMultiplier, 3 * 20),
            RdpAccountant.DefaultOrders, Record.BudgetDelta).Epsilon;
        Assert.Equal(accountant, ledger.GetStatus().SpentEpsilon, 12);
        Assert.All(ledger.Entries, e => Assert.Equal((PrivacyLevels.Record, 20L, 0.8, 16.0 / 2000, 1.0), (e.Level, e.Release.Steps, e.Release.NoiseMultiplier, e.Release.SamplingRate, e.Release.ClipNorm)));
        Assert.Equal(PrivacyLevels.Record, ledger.GetStatus().Level);
    }

    [Fact]
    public void The_level_survives_reopening_the_ledger()
    {
        using (PrivacyLedger ledger = OpenLedger(Record))
        {
            Coordinator(new CoordinatorKit.StepLearner(0.01f), ledger).RunRound(CancellationToken.None);
        }

        using PrivacyLedger reopened = PrivacyLedger.OpenReadOnly(new StatePaths(_dir).PrivacyLedger, Record);
        Assert.Equal(PrivacyLevels.Record, Assert.Single(reopened.Entries).Level);
        Assert.Contains("\"level\":\"record\"", File.ReadAllText(new StatePaths(_dir).PrivacyLedger), StringComparison.Ordinal);
    }

    [Fact]
    public void A_round_whose_steps_would_exceed_the_budget_neither_trains_nor_releases()
    {
        // A budget for exactly two rounds of these steps.
        double two = PrivacyPlanner.EpsilonAt(Record.SamplingRate, Record.NoiseMultiplier, 40, Record.BudgetDelta);
        double three = PrivacyPlanner.EpsilonAt(Record.SamplingRate, Record.NoiseMultiplier, 60, Record.BudgetDelta);
        using PrivacyLedger ledger = OpenLedger(Record with { BudgetEpsilon = (two + three) / 2 });
        var learner = new WatchedLearner(ledger);
        RoundCoordinator c = Coordinator(learner, ledger);
        c.RunRound(CancellationToken.None);
        c.RunRound(CancellationToken.None);
        float[] before = learner.GetAdapter();

        RoundReport third = c.RunRound(CancellationToken.None);

        Assert.Null(third.Released);
        Assert.StartsWith("not trained: privacy budget exhausted", third.NotReleasedReason, StringComparison.Ordinal);
        Assert.Equal(2, learner.ChargesSeenWhenTraining.Count); // the local data was not touched in round 3
        Assert.Equal(before, learner.GetAdapter());
        Assert.Equal(2, ledger.Entries.Count);
        Assert.Equal(PrivacyBudgetState.Exhausted, ledger.GetStatus().State);
    }

    [Fact]
    public void Node_level_still_noises_the_whole_update_and_sends_no_sampling_rate()
    {
        PrivacyOptions node = PrivacyOptions.Default with { Level = PrivacyLevel.Node, NoiseMultiplier = 1.0, BudgetEpsilon = 100 };
        using PrivacyLedger ledger = OpenLedger(node);
        var learner = new CoordinatorKit.StepLearner(0.01f);
        RoundCoordinator c = Coordinator(learner, ledger, new LocalDpMechanism(node, GaussianNoiseSource.CreateSeeded(1)));

        RoundReport report = c.RunRound(CancellationToken.None);

        Assert.Equal(new Protocol.Deltas.DpParameters(1.0, 1.0, null), report.Released!.Manifest.Privacy);
        LedgerEntry entry = Assert.Single(ledger.Entries);
        Assert.Equal((PrivacyLevels.Node, 1.0, 1L), (entry.Level, entry.Release.SamplingRate, entry.Release.Steps));
        // The state released is the own state plus the noised update: far from the 0.01-per-coordinate update.
        Assert.True(learner.GetAdapter().Select(x => Math.Abs(x - 0.01f)).Max() > 0.1f);
    }

    [Fact]
    public void Record_level_needs_no_release_mechanism_but_node_level_does()
    {
        using PrivacyLedger record = OpenLedger(Record);
        _ = Coordinator(new CoordinatorKit.StepLearner(0.01f), record);
        record.Dispose();
        using PrivacyLedger node = OpenLedger(PrivacyOptions.Default);
        Assert.Throws<ArgumentException>(() => Coordinator(new CoordinatorKit.StepLearner(0.01f), node));
    }

    /// <summary>Records how many charges the ledger held each time training began.</summary>
    private sealed class WatchedLearner(PrivacyLedger ledger) : ILearner
    {
        private readonly CoordinatorKit.StepLearner _inner = new(0.01f);

        public List<int> ChargesSeenWhenTraining { get; } = [];

        public Protocol.Deltas.AdapterSchema Schema => _inner.Schema;

        public ReadOnlyMemory<byte> BaseModelHash => _inner.BaseModelHash;

        public float[] GetAdapter() => _inner.GetAdapter();

        public void SetAdapter(ReadOnlySpan<float> adapter) => _inner.SetAdapter(adapter);

        public LocalRound Train(int steps, CancellationToken cancellationToken)
        {
            ChargesSeenWhenTraining.Add(ledger.Entries.Count);
            return _inner.Train(steps, cancellationToken);
        }

        public void ApplyDelta(ReadOnlySpan<float> delta) => _inner.ApplyDelta(delta);

        public Evaluation Evaluate(IReadOnlyList<string> documents) => _inner.Evaluate(documents);

        public Evaluation Evaluate(IReadOnlyList<string> documents, ReadOnlySpan<float> adapter) => _inner.Evaluate(documents, adapter);

        public void Dispose() => _inner.Dispose();
    }
}
