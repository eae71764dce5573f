namespace FedMesh.Node.Privacy;

/// <summary>
/// A delta after clipping and noising, with the parameters the signed manifest carries (SPEC §5) so receivers
/// and auditors know which guarantee it was released under. The original norm is deliberately not kept:
/// it is a function of private data and would leak through logs or the manifest.
/// </summary>
/// <param name="Values">The noised delta in adapter schema order.</param>
/// <param name="ClipNorm">C.</param>
/// <param name="NoiseMultiplier">σ (noise std σ·C per coordinate).</param>
/// <param name="SamplingRate">q assumed by the accountant.</param>
/// <param name="Steps">compositions charged for this release.</param>
public sealed record PrivatizedDelta(float[] Values, double ClipNorm, double NoiseMultiplier, double SamplingRate, long Steps)
{
    /// <summary>The accountant's view of this release.</summary>
    public GaussianRelease Release => new(ClipNorm, NoiseMultiplier, SamplingRate, Steps);
}
