namespace FedMesh.Protocol.Deltas;

/// <summary>
/// The differential-privacy mechanism the origin says it applied to the delta (SPEC.md §5.2), so receivers and
/// auditors can account privacy: per-update L2 clipping to <see cref="ClipNorm"/> C, Gaussian noise of standard
/// deviation <see cref="NoiseMultiplier"/>·C (Abadi et al. 2016, "Deep Learning with Differential Privacy"),
/// and, when the local data was Poisson-subsampled, the sampling rate q (null when not subsampled).
/// </summary>
public sealed record DpParameters(double ClipNorm, double NoiseMultiplier, double? SamplingRate)
{
    /// <summary>Null when valid, else what is wrong.</summary>
    public string? Problem() =>
        !double.IsFinite(ClipNorm) || ClipNorm < 0 ? $"clip norm {ClipNorm} must be finite and ≥ 0"
        : !double.IsFinite(NoiseMultiplier) || NoiseMultiplier < 0 ? $"noise multiplier {NoiseMultiplier} must be finite and ≥ 0"
        : SamplingRate is { } q && !(q > 0 && q <= 1) ? $"sampling rate {q} must be in (0, 1]"
        : null;
}
