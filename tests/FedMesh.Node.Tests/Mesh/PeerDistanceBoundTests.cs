using System.Numerics.Tensors;
using FedMesh.Node.Gossip;
using FedMesh.Node.Learning;
using FedMesh.Node.Merge;
using FedMesh.Node.Mesh;
using FedMesh.Node.Reputation;
using FedMesh.Protocol.Deltas;
using FedMesh.Protocol.Identity;
using NSec.Cryptography;
using Xunit;

namespace FedMesh.Node.Tests.Mesh;

/// <summary>merge.norm_bound: a peer state far from this node's own is pulled in before it enters the merge.</summary>
public sealed class PeerDistanceBoundTests
{
    private const int D = 64;
    private static readonly AdapterSchema Schema = new([new TensorInfo("w", [D])]);
    private static readonly LocalMesh Mesh = new(MeshId.FromName("bound-test"), new byte[32], Schema);

    [Fact]
    public void BoundDistance_pulls_a_far_state_onto_the_sphere_around_the_center()
    {
        float[] center = Enumerable.Range(0, D).Select(i => i * 0.01f).ToArray();
        float[] state = center.Select((c, i) => c + (i % 2 == 0 ? 3f : -1f)).ToArray();
        float[] direction = state.Zip(center, (s, c) => s - c).ToArray();
        double before = TensorPrimitives.Distance(center, state);

        float scale = NormBounding.BoundDistance(center, state, 4.0);

        Assert.Equal(4.0 / before, scale, 1e-6);
        Assert.Equal(4.0, TensorPrimitives.Distance(center, state), 1e-4);
        // Same direction: only the length of (state − center) changed.
        float[] after = state.Zip(center, (s, c) => s - c).ToArray();
        Assert.Equal(1.0, TensorPrimitives.CosineSimilarity(direction, after), 1e-6);
    }

    [Fact]
    public void BoundDistance_leaves_a_near_state_and_a_zero_bound_alone()
    {
        float[] center = new float[D];
        float[] near = Enumerable.Repeat(0.1f, D).ToArray();
        float[] copy = (float[])near.Clone();

        Assert.Equal(1f, NormBounding.BoundDistance(center, near, 10));
        Assert.Equal(copy, near);
        float[] far = Enumerable.Repeat(100f, D).ToArray();
        Assert.Equal(1f, NormBounding.BoundDistance(center, far, 0));
        Assert.All(far, v => Assert.Equal(100f, v));
    }

    [Fact]
    public void A_scaled_peer_state_is_pulled_in_to_ten_times_the_own_change_and_the_decision_says_so()
    {
        // Own change per round: 0.1 in every coordinate → ‖u‖ = 0.8; automatic bound 10 × 0.8 = 8.
        using var learner = new StepLearner(0.1f);
        RoundCoordinator coordinator = NewCoordinator(learner, MeshOptions.Default with { PrivacyEnabled = false });
        using Key peer = Key.Create(SignatureAlgorithm.Ed25519, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport });
        float[] far = Enumerable.Repeat(50f, D).ToArray();
        coordinator.Offer(Stored(peer, far), far);

        RoundReport report = coordinator.RunRound(CancellationToken.None);

        Assert.Equal(1, report.Merged);
        Assert.Equal(1, report.Bounded);
        Assert.Contains(report.Decisions, d => d.Merged && d.Reason.Contains("pulled in", StringComparison.Ordinal));
        // Mean of own (0.1 …) and the bounded peer (own + 8 along (1, …, 1)/√64 = +1 per coordinate): 0.1 + 0.5.
        float[] adopted = learner.GetAdapter();
        Assert.All(adopted, v => Assert.Equal(0.6f, v, 1e-4f));
    }

    [Fact]
    public void An_absolute_bound_applies_as_given_and_a_near_peer_is_merged_untouched()
    {
        using var learner = new StepLearner(0.1f);
        RoundCoordinator coordinator = NewCoordinator(learner, MeshOptions.Default with { PrivacyEnabled = false, PeerDistanceBound = 1e6 });
        using Key peer = Key.Create(SignatureAlgorithm.Ed25519, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport });
        float[] far = Enumerable.Repeat(50f, D).ToArray();
        coordinator.Offer(Stored(peer, far), far);

        RoundReport report = coordinator.RunRound(CancellationToken.None);

        Assert.Equal(0, report.Bounded);
        Assert.All(learner.GetAdapter(), v => Assert.Equal(25.05f, v, 1e-3f));
    }

    private static RoundCoordinator NewCoordinator(ILearner learner, MeshOptions options)
    {
        var key = Key.Create(SignatureAlgorithm.Ed25519, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport });
        return new RoundCoordinator(
            learner,
            new RobustAggregator(AggregatorOptions.Default with { Rule = AggregationRule.Mean, MaxDegreeOfParallelism = 1 }),
            new ReputationTracker(ReputationOptions.Default with { InitialTrust = 1 }), // full weight 1 from the start
            gate: null,
            dp: null,
            ledger: null,
            key,
            Mesh,
            TimeProvider.System,
            options);
    }

    private static StoredDelta Stored(Key origin, float[] state)
    {
        EncodedDelta encoded = DeltaEncoder.EncodeFlat(Schema, state, TensorEncoding.Float32);
        var header = new DeltaHeader
        {
            MeshId = Mesh.MeshId,
            BaseModelHash = Mesh.BaseModelHash,
            Schema = Schema,
            Sequence = 1,
            Timestamp = TimeProvider.System.GetUtcNow(),
            Privacy = new DpParameters(0, 0, null),
        };
        return new StoredDelta(SignedDelta.Create(origin, header, encoded), encoded.Payload, TimeProvider.System.GetUtcNow());
    }

    /// <summary>A learner whose every round adds the same value to each coordinate (its change is known exactly).</summary>
    private sealed class StepLearner(float step) : ILearner
    {
        private float[] _adapter = new float[D];

        public AdapterSchema Schema => PeerDistanceBoundTests.Schema;

        public ReadOnlyMemory<byte> BaseModelHash => Mesh.BaseModelHash;

        public float[] GetAdapter() => (float[])_adapter.Clone();

        public void SetAdapter(ReadOnlySpan<float> adapter) => _adapter = adapter.ToArray();

        public LocalRound Train(int steps, CancellationToken cancellationToken)
        {
            float[] delta = Enumerable.Repeat(step, D).ToArray();
            TensorPrimitives.Add(_adapter, delta, _adapter);
            return new LocalRound(delta, 1.0, steps);
        }

        public void ApplyDelta(ReadOnlySpan<float> delta) => TensorPrimitives.Add(_adapter, delta, _adapter);

        public Evaluation Evaluate(IReadOnlyList<string> documents) => new(1, 1, 1);

        public Evaluation Evaluate(IReadOnlyList<string> documents, ReadOnlySpan<float> adapter) => new(1, 1, 1);

        public void Dispose()
        {
        }
    }
}
