using FedMesh.Protocol.Identity;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FedMesh.Node.Reputation;

/// <summary>
/// Mean loss of an adapter (flat, adapter schema order) on the node's local held-out split. The learner
/// supplies it; the gate only needs a number, so it is testable without TorchSharp.
/// </summary>
public delegate double HeldOutLoss(ReadOnlySpan<float> adapter);

/// <summary>Outcome of the gate; <see cref="Reason"/> is a log-ready sentence either way.</summary>
public sealed record GateDecision(bool Accepted, double CurrentLoss, double CandidateLoss, double AllowedLoss, string Reason);

/// <summary>
/// The last line of defence after robust aggregation: a merged candidate is adopted only if it does not make the
/// local held-out loss worse by more than the configured margin (<see cref="ValidationGateOptions"/>), a
/// local-validation defence in the spirit of error-rate-based rejection (Fang et al. 2020, "Local model
/// poisoning attacks to Byzantine-robust FL", §5). On rejection every contributor's trust is lowered
/// (<see cref="ReputationTracker.RecordGateRejection"/>); an accepted candidate changes no trust, because
/// passing the gate does not show that each contributor was honest (distance observations do that).
/// </summary>
public sealed class ValidationGate
{
    private readonly ValidationGateOptions _options;
    private readonly HeldOutLoss _evaluate;
    private readonly ReputationTracker _reputation;
    private readonly ILogger _logger;

    public ValidationGate(ValidationGateOptions options, HeldOutLoss evaluate, ReputationTracker reputation, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(evaluate);
        ArgumentNullException.ThrowIfNull(reputation);
        _options = options.EnsureValid();
        _evaluate = evaluate;
        _reputation = reputation;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>Evaluates both adapters and decides; adjusts the contributors' trust on rejection.</summary>
    public GateDecision Evaluate(ReadOnlySpan<float> current, ReadOnlySpan<float> candidate, IReadOnlyCollection<PeerId> contributors)
    {
        if (current.Length != candidate.Length)
        {
            throw new ArgumentException($"candidate has {candidate.Length} values, current adapter {current.Length}", nameof(candidate));
        }

        return Evaluate(_evaluate(current), candidate, contributors);
    }

    /// <summary>As above with the current adapter's loss already known (it is unchanged between merges).</summary>
    public GateDecision Evaluate(double currentLoss, ReadOnlySpan<float> candidate, IReadOnlyCollection<PeerId> contributors)
    {
        ArgumentNullException.ThrowIfNull(contributors);
        GateDecision decision = Decide(currentLoss, _evaluate(candidate), _options);
        if (decision.Accepted)
        {
            Log.GateAccepted(_logger, decision.CurrentLoss, decision.CandidateLoss, decision.AllowedLoss);
            return decision;
        }

        Log.GateRejected(_logger, contributors.Count, decision.Reason);
        if (double.IsFinite(currentLoss))
        {
            // A broken baseline is the learner's fault, not the contributors'.
            foreach (PeerId peer in contributors)
            {
                _reputation.RecordGateRejection(peer);
            }
        }

        return decision;
    }

    /// <summary>The gate's rule as a pure function.</summary>
    public static GateDecision Decide(double currentLoss, double candidateLoss, ValidationGateOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!double.IsFinite(currentLoss))
        {
            return new GateDecision(false, currentLoss, candidateLoss, double.NaN, $"current held-out loss is not finite ({currentLoss}); nothing can be compared");
        }

        double allowed = currentLoss + Math.Max(options.AbsoluteMargin, options.RelativeMargin * Math.Abs(currentLoss));
        if (!double.IsFinite(candidateLoss))
        {
            return new GateDecision(false, currentLoss, candidateLoss, allowed, $"candidate held-out loss is not finite ({candidateLoss})");
        }

        return candidateLoss <= allowed
            ? new GateDecision(true, currentLoss, candidateLoss, allowed, $"held-out loss {currentLoss:F5} -> {candidateLoss:F5}, within the allowed {allowed:F5}")
            : new GateDecision(false, currentLoss, candidateLoss, allowed, $"held-out loss would worsen from {currentLoss:F5} to {candidateLoss:F5}, beyond the allowed {allowed:F5} (margin: max of absolute {options.AbsoluteMargin} and relative {options.RelativeMargin})");
    }
}
