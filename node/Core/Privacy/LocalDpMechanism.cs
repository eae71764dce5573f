namespace FedMesh.Node.Privacy;

/// <summary>
/// The local Gaussian mechanism applied to every outgoing delta: clip to L2 norm C, then add N(0, (σC)²) to each
/// coordinate (Dwork and Roth 2014, Thm A.1; Abadi et al. 2016). The node must first reserve the release in the
/// <see cref="PrivacyLedger"/>; this class does not decide whether a release is allowed.
/// </summary>
public sealed class LocalDpMechanism
{
    private readonly IGaussianNoiseSource _noise;
    private readonly PrivacyOptions _options;

    /// <param name="noise">CSPRNG-backed in production (<see cref="GaussianNoiseSource.CreateSecure"/>).</param>
    public LocalDpMechanism(PrivacyOptions options, IGaussianNoiseSource noise)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(noise);
        _options = options.EnsureValid();
        _noise = noise;
    }

    public PrivacyOptions Options => _options;

    /// <summary>Returns a clipped, noised copy of <paramref name="delta"/>; the input is not modified.</summary>
    public PrivatizedDelta Privatize(ReadOnlySpan<float> delta)
    {
        float[] values = delta.ToArray();
        PrivatizeInPlace(values, _options.ClipNorm, _options.NoiseMultiplier, _noise);
        return new PrivatizedDelta(values, _options.ClipNorm, _options.NoiseMultiplier, _options.SamplingRate, _options.StepsPerRelease);
    }

    /// <summary>Clip to <paramref name="clipNorm"/> then add N(0, (σ·C)²) per coordinate, in place.</summary>
    public static void PrivatizeInPlace(Span<float> delta, double clipNorm, double noiseMultiplier, IGaussianNoiseSource noise)
    {
        ArgumentNullException.ThrowIfNull(noise);
        if (!(noiseMultiplier > 0) || !double.IsFinite(noiseMultiplier))
        {
            throw new ArgumentOutOfRangeException(nameof(noiseMultiplier), noiseMultiplier, "noise multiplier must be finite and > 0");
        }

        _ = DeltaClipping.ClipInPlace(delta, clipNorm);
        noise.AddNoise(delta, noiseMultiplier * clipNorm);
    }
}
