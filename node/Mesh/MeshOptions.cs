using FedMesh.Node.Merge;
using FedMesh.Protocol.Deltas;

namespace FedMesh.Node.Mesh;

/// <summary>How a node turns local training and received states into its next adapter (SPEC.md §10).</summary>
public sealed record MeshOptions
{
    public static readonly MeshOptions Default = new();

    /// <summary>Local optimizer steps per round. 20 steps of batch 16 × 64 bytes ≈ 20 KB of text per round: enough
    /// progress that a round's delta is signal, few enough that non-IID nodes do not drift far between merges.</summary>
    public int LocalSteps { get; init; } = 20;

    /// <summary>Most origins merged per round (the newest states win). Bounds merge cost to k·d in big meshes; 32 is
    /// the largest k our robust rules are benchmarked at.</summary>
    public int MaxMergeInputs { get; init; } = 32;

    /// <summary>Discount of a state by its age in rounds (γ^age, dropped beyond the cap).</summary>
    public StalenessOptions Staleness { get; init; } = StalenessOptions.Default;

    /// <summary>Wire encoding of released states. fp32 is exact; fp16 halves bytes at ~1e-3 relative error.</summary>
    public TensorEncoding Encoding { get; init; } = TensorEncoding.Float32;

    /// <summary>Apply local differential privacy (clip + Gaussian noise, ledger) to every release.</summary>
    public bool PrivacyEnabled { get; init; } = true;

    /// <summary>Nominal round length, used to age states from their manifest timestamps.</summary>
    public TimeSpan RoundPeriod { get; init; } = TimeSpan.FromSeconds(10);

    public string? Problem()
    {
        if (LocalSteps is < 1 or > 100_000)
        {
            return "gossip.local_steps must be between 1 and 100000";
        }

        if (MaxMergeInputs is < 1 or > 1024)
        {
            return "MaxMergeInputs must be between 1 and 1024";
        }

        return RoundPeriod <= TimeSpan.Zero ? "gossip.period must be positive" : null;
    }
}
