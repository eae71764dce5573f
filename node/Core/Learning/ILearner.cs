using FedMesh.Protocol.Deltas;

namespace FedMesh.Node.Learning;

/// <summary>Outcome of one local round: the adapter change (flat, schema order) and the mean training loss.</summary>
/// <param name="Delta">Adapter after minus adapter before, length <c>Schema.TotalElements</c>.</param>
/// <param name="MeanLoss">Mean cross-entropy in nats per byte over the round's steps.</param>
/// <param name="Steps">Steps actually run (fewer than asked when cancelled).</param>
public sealed record LocalRound(float[] Delta, double MeanLoss, int Steps);

/// <summary>Held-out score: mean cross-entropy in nats per byte and the same in bits per byte.</summary>
public sealed record Evaluation(double Loss, double BitsPerByte, long Bytes);

/// <summary>
/// The seam between learning and the rest of the node (gossip, merge, netsim). Adapters travel as flat
/// float arrays in <see cref="Schema"/> order; a learner only accepts arrays of exactly that length.
/// Implementations: <see cref="TorchLearner"/> (real model); cheap surrogates for large simulations.
/// </summary>
public interface ILearner : IDisposable
{
    /// <summary>Ordered adapter tensors; its hash must match a peer's before deltas are exchanged.</summary>
    AdapterSchema Schema { get; }

    /// <summary>SHA-256 of the base checkpoint; deltas for another base are meaningless here.</summary>
    ReadOnlyMemory<byte> BaseModelHash { get; }

    /// <summary>A copy of the current adapter.</summary>
    float[] GetAdapter();

    /// <summary>Replaces the adapter (exactly; no rounding beyond float32).</summary>
    void SetAdapter(ReadOnlySpan<float> adapter);

    /// <summary>Runs up to <paramref name="steps"/> local steps and returns the change they made.</summary>
    LocalRound Train(int steps, CancellationToken cancellationToken);

    /// <summary>Adds <paramref name="delta"/> to the current adapter (e.g. a merged update from peers).</summary>
    void ApplyDelta(ReadOnlySpan<float> delta);

    /// <summary>Scores the current adapter on <paramref name="documents"/>.</summary>
    Evaluation Evaluate(IReadOnlyList<string> documents);

    /// <summary>Scores the given adapter on <paramref name="documents"/>; the current adapter is unchanged.</summary>
    Evaluation Evaluate(IReadOnlyList<string> documents, ReadOnlySpan<float> adapter);
}
