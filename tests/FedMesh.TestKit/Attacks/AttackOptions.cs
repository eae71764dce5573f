namespace FedMesh.Node.Attacks;

/// <summary>Attack strengths; defaults follow the papers' evaluated settings.</summary>
public sealed record AttackOptions
{
    public static readonly AttackOptions Default = new();

    /// <summary>Sign flip: s in −s·x. 1 is the plain reversal used in most evaluations.</summary>
    public float SignFlipScale { get; init; } = 1f;

    /// <summary>
    /// Scaling: λ. 10 ≈ the number of participants per round in Bagdasaryan et al.'s model replacement, enough to
    /// dominate a mean of ~10 deltas.
    /// </summary>
    public float ScalingFactor { get; init; } = 10f;

    /// <summary>Gaussian noise: σ as a multiple of the honest deltas' RMS value; 10 drowns the signal.</summary>
    public double NoiseMultiplier { get; init; } = 10.0;

    /// <summary>
    /// ALIE: z. NaN (default) takes the paper's z_max for the given n and f (Baruch et al. 2019, §3:
    /// s = ⌊n/2 + 1⌋ − f, z = Φ⁻¹((n − s)/n)).
    /// </summary>
    public double AlieZ { get; init; } = double.NaN;

    /// <summary>Inner-product manipulation: ε in −ε·μ. 0.1 is Xie et al.'s setting against median/Krum-type rules.</summary>
    public float IpmEpsilon { get; init; } = 0.1f;
}
