using FedMesh.Node.Learning;
using FedMesh.Node.Merge;
using FedMesh.Node.Mesh;
using FedMesh.Node.Privacy;
using FedMesh.Node.Reputation;
using FedMesh.Node.Storage;
using FedMesh.Protocol.Deltas;

namespace FedMesh.Node.Tests.Mesh;

/// <summary>A local update with NaN or infinite coordinates (training diverged) is neither released nor adopted, at
/// every privacy level, and the round does not throw: before, node level's clipping threw, which stopped the round loop
/// (found when `fedmesh-bench dp-mesh` at node level, ε = 1, diverged in its third cell).</summary>
public sealed class DivergedUpdateTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fedmesh-diverged-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private PrivacyLedger OpenLedger(PrivacyOptions options) => PrivacyLedger.Open(new StatePaths(_dir).PrivacyLedger, options);

    private static RoundCoordinator Coordinator(ILearner learner, PrivacyLedger? ledger, LocalDpMechanism? dp) =>
        CoordinatorKit.WithLedger(learner, ledger, dp, localSteps: 1);

    public static TheoryData<float> Diverged => new() { float.NaN, float.PositiveInfinity, float.NegativeInfinity };

    [Theory]
    [MemberData(nameof(Diverged))]
    public void Node_level_neither_clips_nor_releases_a_diverged_update_and_keeps_its_state(float step)
    {
        PrivacyOptions node = PrivacyOptions.Default with { Level = PrivacyLevel.Node, NoiseMultiplier = 1.0, BudgetEpsilon = 100 };
        using PrivacyLedger ledger = OpenLedger(node);
        var learner = new CoordinatorKit.StepLearner(step);
        float[] before = learner.GetAdapter();
        RoundCoordinator c = Coordinator(learner, ledger, new LocalDpMechanism(node, GaussianNoiseSource.CreateSeeded(1)));

        RoundReport report = c.RunRound(CancellationToken.None);

        Assert.Null(report.Released);
        Assert.Equal(RoundCoordinator.DivergedReason, report.NotReleasedReason);
        Assert.Equal(before, learner.GetAdapter());
        Assert.Empty(ledger.Entries); // nothing left the node, so node level charged nothing
    }

    [Fact]
    public void Record_level_keeps_the_charge_of_the_steps_that_ran_but_releases_and_adopts_nothing()
    {
        PrivacyOptions record = PrivacyOptions.Default with
        {
            Level = PrivacyLevel.Record, ClipNorm = 1.0, NoiseMultiplier = 0.8, SamplingRate = 16.0 / 2000, StepsPerRelease = 1, BudgetEpsilon = 8,
        };
        using PrivacyLedger ledger = OpenLedger(record);
        var learner = new CoordinatorKit.StepLearner(float.NaN);
        float[] before = learner.GetAdapter();
        RoundCoordinator c = Coordinator(learner, ledger, dp: null);

        RoundReport report = c.RunRound(CancellationToken.None);

        Assert.Null(report.Released);
        Assert.Equal(RoundCoordinator.DivergedReason, report.NotReleasedReason);
        Assert.Equal(before, learner.GetAdapter());
        Assert.Single(ledger.Entries); // the steps touched the data: ε is never under-counted
    }

    [Fact]
    public void Without_privacy_a_diverged_update_is_not_released_and_the_next_good_round_is()
    {
        var learner = new SwitchingLearner(float.NaN, 0.5f);
        RoundCoordinator c = Coordinator(learner, ledger: null, dp: null);

        RoundReport diverged = c.RunRound(CancellationToken.None);
        RoundReport next = c.RunRound(CancellationToken.None);

        Assert.Null(diverged.Released);
        Assert.Equal(RoundCoordinator.DivergedReason, diverged.NotReleasedReason);
        Assert.NotNull(next.Released);
        Assert.All(learner.GetAdapter(), x => Assert.Equal(0.5f, x));
    }

    [Fact]
    public void The_check_the_round_uses_finds_one_bad_coordinate_anywhere()
    {
        float[] values = new float[1000];
        Assert.Equal(-1, DeltaValidator.IndexOfNonFinite(values));
        values[999] = float.NaN;
        Assert.Equal(999, DeltaValidator.IndexOfNonFinite(values));
        values[999] = float.MaxValue; // finite, however large: clipping bounds it
        Assert.Equal(-1, DeltaValidator.IndexOfNonFinite(values));
    }

    /// <summary>A learner whose first round's update is <c>first</c> and every later one <c>then</c>.</summary>
    private sealed class SwitchingLearner(float first, float then) : ILearner
    {
        private readonly CoordinatorKit.StepLearner _first = new(first), _then = new(then);
        private int _rounds;

        public AdapterSchema Schema => CoordinatorKit.Schema;

        public ReadOnlyMemory<byte> BaseModelHash => CoordinatorKit.Mesh.BaseModelHash;

        private CoordinatorKit.StepLearner Current => _rounds == 0 ? _first : _then;

        public float[] GetAdapter() => Current.GetAdapter();

        public void SetAdapter(ReadOnlySpan<float> adapter)
        {
            _first.SetAdapter(adapter);
            _then.SetAdapter(adapter);
        }

        public LocalRound Train(int steps, CancellationToken cancellationToken)
        {
            LocalRound round = Current.Train(steps, cancellationToken);
            _rounds++;
            return round;
        }

        public void ApplyDelta(ReadOnlySpan<float> delta) => Current.ApplyDelta(delta);

        public Evaluation Evaluate(IReadOnlyList<string> documents) => new(1, 1, 1);

        public Evaluation Evaluate(IReadOnlyList<string> documents, ReadOnlySpan<float> adapter) => new(1, 1, 1);

        public void Dispose()
        {
        }
    }
}
