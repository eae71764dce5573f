using FedMesh.Node.Configuration;
using FedMesh.Node.Hosting;
using FedMesh.Node.Storage;

namespace FedMesh.Node.Privacy;

/// <summary>The <c>[privacy]</c> section read the same way by the configuration checks, the daemon and
/// <c>fedmesh privacy</c> (moved out of NodeFactory so the configuration layer does not call into hosting).</summary>
public static class ConfiguredPrivacy
{
    /// <summary>Whether the <c>[privacy]</c> section turns DP on: <c>level = "off"</c> turns it off.</summary>
    public static bool Enabled(PrivacySection privacy) => privacy.Level != PrivacyLevels.Off;

    /// <summary>
    /// The ledger options <c>fedmesh privacy</c> opens the ledger with: the mechanism the daemon resolved at its last
    /// start (<see cref="PrivacyMechanismFile"/>: σ planned from its number of records, q = B/n, δ), else the
    /// <c>[privacy]</c> section as configured (a node that never started: σ 0 = planned is shown with the library's
    /// default σ until the node has planned it). The budget comes from the section.
    /// </summary>
    public static PrivacyOptions For(PrivacySection privacy, StatePaths? state = null)
    {
        ArgumentNullException.ThrowIfNull(privacy);
        PrivacyOptions configured = PrivacyOptions.Default with
        {
            Level = PrivacyLevels.Parse(privacy.Level) is { } level and not PrivacyLevel.Off ? level : PrivacyLevel.Record,
            ClipNorm = privacy.ClipNorm,
            NoiseMultiplier = privacy.NoiseMultiplier > 0 ? privacy.NoiseMultiplier : PrivacyOptions.Default.NoiseMultiplier,
            BudgetEpsilon = privacy.EpsilonBudget,
            BudgetDelta = privacy.Delta > 0 ? privacy.Delta : PrivacyOptions.Default.BudgetDelta,
        };
        return state is not null && PrivacyMechanismFile.TryRead(state.PrivacyMechanism) is { } resolved
            ? resolved with { BudgetEpsilon = privacy.EpsilonBudget, BudgetDelta = privacy.Delta > 0 ? privacy.Delta : resolved.BudgetDelta }
            : configured;
    }
}
