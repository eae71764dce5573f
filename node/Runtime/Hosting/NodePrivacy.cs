using FedMesh.Node.Configuration;
using FedMesh.Node.Learning;
using FedMesh.Node.Privacy;

namespace FedMesh.Node.Hosting;

/// <summary>
/// The <c>[privacy]</c> section resolved against this node's data: the level, the mechanism the ledger charges and the
/// learner applies, and how long the budget lasts. Pure, so the daemon and tests get the same answer.
/// </summary>
/// <param name="Level">Which guarantee applies.</param>
/// <param name="Ledger">The ledger's options (null when off). At record level one release = one round of
/// <c>StepsPerRelease</c> DP-SGD steps at q = B/n.</param>
/// <param name="DpSgd">The trainer's DP-SGD settings at record level, else null.</param>
/// <param name="PlannedSigma">True when σ was planned at start (privacy.noise_multiplier = 0).</param>
/// <param name="RoundsWithinBudget">Rounds the budget covers from scratch at these settings (capped at planned + 1).</param>
internal sealed record NodePrivacy(PrivacyLevel Level, PrivacyOptions? Ledger, DpSgdOptions? DpSgd, bool PlannedSigma, long RoundsWithinBudget)
{
    /// <param name="records">Training records (documents after the held-out split): n.</param>
    /// <param name="batch">Expected batch B (learning.batch_size).</param>
    /// <param name="stepsPerRound">gossip.local_steps.</param>
    public static NodePrivacy Resolve(PrivacySection section, int records, int batch, int stepsPerRound)
    {
        ArgumentNullException.ThrowIfNull(section);
        PrivacyLevel level = PrivacyLevels.Parse(section.Level)
            ?? throw new ConfigException([new ConfigError("config", null, "privacy.level", $"must be one of {string.Join(", ", PrivacyLevels.Names)}, got \"{section.Level}\"")]);
        if (level == PrivacyLevel.Off)
        {
            return new NodePrivacy(level, null, null, false, long.MaxValue);
        }

        double delta = section.Delta > 0 ? section.Delta : PrivacyPlanner.DefaultDelta(records);
        // Node level charges one full-data Gaussian mechanism per release; record level one DP-SGD step per local step.
        (double q, int steps) = level == PrivacyLevel.Record ? (DpSgdOptions.SamplingRate(batch, records), stepsPerRound) : (1.0, 1);
        bool planned = section.NoiseMultiplier == 0;
        double sigma = planned
            ? PrivacyPlanner.Plan(new PrivacyPlanRequest(section.EpsilonBudget, delta, level == PrivacyLevel.Record ? records : 1, level == PrivacyLevel.Record ? batch : 1, steps, section.PlannedRounds)).NoiseMultiplier
            : section.NoiseMultiplier;
        var ledger = PrivacyOptions.Default with
        {
            Level = level,
            ClipNorm = section.ClipNorm,
            NoiseMultiplier = sigma,
            SamplingRate = q,
            StepsPerRelease = steps,
            BudgetEpsilon = section.EpsilonBudget,
            BudgetDelta = delta,
        };
        _ = ledger.EnsureValid();
        long lasts = PrivacyPlanner.RoundsWithin(section.EpsilonBudget, delta, q, sigma, steps, section.PlannedRounds + 1);
        DpSgdOptions? dp = level == PrivacyLevel.Record ? new DpSgdOptions { ClipNorm = section.ClipNorm, NoiseMultiplier = sigma } : null;
        return new NodePrivacy(level, ledger, dp, planned, lasts);
    }
}
