using System.Numerics.Tensors;
using FedMesh.Node.Gossip;
using FedMesh.Node.Learning;
using FedMesh.Node.Merge;
using FedMesh.Node.Mesh;
using FedMesh.Node.Privacy;
using FedMesh.Node.Reputation;
using FedMesh.Protocol.Deltas;
using FedMesh.Protocol.Identity;
using NSec.Cryptography;

namespace FedMesh.Node.Tests.Mesh;

/// <summary>A <see cref="RoundCoordinator"/> over a learner whose change per round is known exactly, and signed peer states.</summary>
internal static class CoordinatorKit
{
    public const int D = 64;
    public static readonly AdapterSchema Schema = new([new TensorInfo("w", [D])]);
    public static readonly LocalMesh Mesh = new(MeshId.FromName("coordinator-test"), new byte[32], Schema);

    public static Key NewKey() =>
        Key.Create(SignatureAlgorithm.Ed25519, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport });

    public static RoundCoordinator NewCoordinator(
        ILearner learner, MeshOptions options, TimeProvider? time = null, ReputationTracker? reputation = null, ValidationGate? gate = null,
        PrivacyLedger? ledger = null, LocalDpMechanism? dp = null) =>
        new(
            learner,
            new RobustAggregator(AggregatorOptions.Default with { Rule = AggregationRule.Mean, MaxDegreeOfParallelism = 1 }),
            reputation ?? new ReputationTracker(ReputationOptions.Default with { InitialTrust = 1 }), // full weight 1 from the start
            gate,
            dp,
            ledger,
            NewKey(),
            Mesh,
            time ?? TimeProvider.System,
            options);

    /// <summary><see cref="NewCoordinator"/> with privacy as <paramref name="ledger"/> says (none when null) and
    /// <paramref name="localSteps"/> steps a round.</summary>
    public static RoundCoordinator WithLedger(ILearner learner, PrivacyLedger? ledger, LocalDpMechanism? dp, int localSteps) =>
        NewCoordinator(learner, MeshOptions.Default with { LocalSteps = localSteps, PrivacyEnabled = ledger is not null }, ledger: ledger, dp: dp);

    public static StoredDelta Stored(Key origin, float[] state, DateTimeOffset? timestamp = null, ulong sequence = 1)
    {
        DateTimeOffset at = timestamp ?? TimeProvider.System.GetUtcNow();
        EncodedDelta encoded = DeltaEncoder.EncodeFlat(Schema, state, TensorEncoding.Float32);
        var header = new DeltaHeader
        {
            MeshId = Mesh.MeshId,
            BaseModelHash = Mesh.BaseModelHash,
            Schema = Schema,
            Sequence = sequence,
            Timestamp = at,
            Privacy = new DpParameters(0, 0, null),
        };
        return new StoredDelta(SignedDelta.Create(origin, header, encoded), encoded.Payload, at);
    }

    /// <summary>
    /// A delta whose manifest carries <paramref name="timestampMs"/> verbatim (any u64, as an attacker may sign it),
    /// validly signed by <paramref name="origin"/> and passing <see cref="SignedDelta.Verify(FedMesh.Protocol.Messages.DeltaManifestMessage, LocalMesh, PublicKey?)"/>.
    /// </summary>
    public static StoredDelta SignedAt(Key origin, float[] state, ulong timestampMs, DateTimeOffset receivedAt, ulong sequence = 1)
    {
        StoredDelta honest = Stored(origin, state, receivedAt, sequence);
        byte[] manifest = (honest.Delta.Manifest with { TimestampMs = timestampMs }).Encode();
        byte[] signature = SignatureAlgorithm.Ed25519.Sign(origin, [.. "fedmesh-delta-manifest-v1"u8, .. manifest]);
        SignedDelta delta = SignedDelta.Verify(new FedMesh.Protocol.Messages.DeltaManifestMessage(manifest, signature), Mesh);
        return new StoredDelta(delta, honest.Payload, receivedAt);
    }

    /// <summary>A learner whose every round adds the same value to each coordinate (its change is known exactly).</summary>
    public sealed class StepLearner(float step) : ILearner
    {
        private float[] _adapter = new float[D];

        public AdapterSchema Schema => CoordinatorKit.Schema;

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
