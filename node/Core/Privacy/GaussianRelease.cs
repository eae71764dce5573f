namespace FedMesh.Node.Privacy;

/// <summary>
/// Parameters of one charged release: <paramref name="Steps"/> compositions of the Poisson-subsampled Gaussian
/// mechanism with sampling rate <paramref name="SamplingRate"/>, noise multiplier
/// <paramref name="NoiseMultiplier"/> and clipping bound <paramref name="ClipNorm"/>. C does not change ε (the
/// sensitivity is C and the noise σ·C), but it is recorded so the manifest and ledger say what was done.
/// </summary>
public readonly record struct GaussianRelease(double ClipNorm, double NoiseMultiplier, double SamplingRate, long Steps)
{
    /// <summary>Null when valid, otherwise a message naming the bad field.</summary>
    public string? Validate()
    {
        if (!(ClipNorm > 0) || !double.IsFinite(ClipNorm))
        {
            return $"clip norm must be a finite number > 0, got {ClipNorm}";
        }

        if (!(NoiseMultiplier > 0) || !double.IsFinite(NoiseMultiplier))
        {
            return $"noise multiplier must be a finite number > 0, got {NoiseMultiplier}";
        }

        if (!(SamplingRate > 0 && SamplingRate <= 1))
        {
            return $"sampling rate must be in (0, 1], got {SamplingRate}";
        }

        return Steps < 1 ? $"steps must be >= 1, got {Steps}" : null;
    }

    /// <summary>
    /// A release that costs at least as much as each of <paramref name="a"/> and <paramref name="b"/> at every
    /// order: the subsampled-Gaussian RDP falls with σ and rises with q and (linearly) with steps
    /// (Mironov, Talwar, Zhang 2019, §3), so (min σ, max q, max steps) dominates both.
    /// </summary>
    public static GaussianRelease Dominating(GaussianRelease a, GaussianRelease b) => new(
        Math.Max(a.ClipNorm, b.ClipNorm),
        Math.Min(a.NoiseMultiplier, b.NoiseMultiplier),
        Math.Max(a.SamplingRate, b.SamplingRate),
        Math.Max(a.Steps, b.Steps));
}
