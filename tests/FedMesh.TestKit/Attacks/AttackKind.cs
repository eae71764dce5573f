using FedMesh.Node.Merge.Internal;

namespace FedMesh.Node.Attacks;

/// <summary>Model-poisoning attacks on deltas (text poisoning of the real learner lives with the data code).</summary>
public enum AttackKind
{
    /// <summary>Send −s·x instead of x (gradient reversal).</summary>
    SignFlip,

    /// <summary>Send λ·x: boosting / model replacement (Bhagoji et al. 2019; Bagdasaryan et al. 2020).</summary>
    Scaling,

    /// <summary>Send x + N(0, σ²) per coordinate.</summary>
    GaussianNoise,

    /// <summary>"A Little Is Enough" (Baruch, Baruch, Goldberg 2019): μ − z·σ per coordinate.</summary>
    Alie,

    /// <summary>Inner-product manipulation (Xie, Koyejo, Gupta 2020, "Fall of empires"): −ε·μ.</summary>
    InnerProduct,

    /// <summary>Resend an honest delta from an earlier round.</summary>
    Replay,

    /// <summary>Send the zero delta while collecting everyone else's work.</summary>
    FreeRider,
}

/// <summary>Stable snake_case names for CLI, JSON and netsim scenario files.</summary>
public static class AttackKindNames
{
    private static readonly NameTable<AttackKind> Names = new(
        "attack",
        (AttackKind.SignFlip, "sign_flip"),
        (AttackKind.Scaling, "scaling"),
        (AttackKind.GaussianNoise, "gaussian_noise"),
        (AttackKind.Alie, "alie"),
        (AttackKind.InnerProduct, "ipm"),
        (AttackKind.Replay, "replay"),
        (AttackKind.FreeRider, "free_rider"));

    public static IReadOnlyList<AttackKind> All => Names.All;

    public static string ToName(this AttackKind kind) => Names.ToName(kind);

    public static bool TryParse(string? name, out AttackKind kind, out string error) => Names.TryParse(name, out kind, out error);
}
