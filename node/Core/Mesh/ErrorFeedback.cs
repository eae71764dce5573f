using System.Numerics.Tensors;

namespace FedMesh.Node.Mesh;

/// <summary>
/// Error feedback for lossy release encodings (fp16, int8): what rounding took off one release is added to the next,
/// so the releases' running sum equals the states' running sum up to one round's residual and the rounding does not
/// bias what neighbours average (Seide et al. 2014; Karimireddy et al. 2019, EF-SGD; in decentralised gossip
/// Koloskova et al. 2019, CHOCO-SGD, whose compressed exchange it follows in error-compensated form). Without it,
/// round-to-nearest is a fixed function of a state that barely moves near convergence, so the same error is sent every
/// round. The residual is a function of released (privatized) states only, so keeping and re-sending it is
/// post-processing and costs no privacy. Not thread-safe: the round coordinator owns it.
/// </summary>
public sealed class ErrorFeedback
{
    private float[]? _residual;
    private float[]? _pending;

    /// <summary>Largest |residual| held, for tests and the release report.</summary>
    public float MaxResidual => _residual is null ? 0 : Math.Abs(TensorPrimitives.MaxMagnitude(_residual));

    /// <summary>The state to encode this round: <paramref name="state"/> plus the residual of earlier releases.</summary>
    public float[] Compensate(ReadOnlySpan<float> state)
    {
        float[] target = state.ToArray();
        if (_residual is { } r)
        {
            if (r.Length != target.Length)
            {
                throw new ArgumentException($"state has {target.Length} values, the residual {r.Length}", nameof(state));
            }

            TensorPrimitives.Add(target, r, target);
        }

        return target;
    }

    /// <summary>
    /// Remembers what this round's release lost (<paramref name="target"/> − <paramref name="sent"/>, the decoded
    /// release); it becomes the residual only on <see cref="Commit"/>, when the release has actually left: a release
    /// refused by the privacy ledger must not carry its rounding into the next one.
    /// </summary>
    public void Prepare(ReadOnlySpan<float> target, ReadOnlySpan<float> sent)
    {
        if (target.Length != sent.Length)
        {
            throw new ArgumentException($"target has {target.Length} values, the release {sent.Length}", nameof(sent));
        }

        _pending = new float[target.Length];
        TensorPrimitives.Subtract(target, sent, _pending);
    }

    /// <summary>The prepared release went out: its rounding is carried into the next one.</summary>
    public void Commit()
    {
        if (_pending is not null)
        {
            _residual = _pending;
            _pending = null;
        }
    }

    /// <summary>The prepared release did not go out: forget its rounding.</summary>
    public void Discard() => _pending = null;
}
