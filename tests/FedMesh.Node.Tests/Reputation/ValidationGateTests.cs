using FedMesh.Node.Reputation;
using FedMesh.Protocol.Identity;

namespace FedMesh.Node.Tests.Reputation;

public sealed class ValidationGateTests
{
    /// <summary>A stand-in held-out loss: squared distance to a fixed "ideal" adapter, plus 1.</summary>
    private static double Loss(ReadOnlySpan<float> adapter)
    {
        double sum = 1;
        for (int i = 0; i < adapter.Length; i++)
        {
            double d = adapter[i] - 0.5;
            sum += d * d;
        }

        return sum;
    }

    private static readonly PeerId[] Contributors = [ReputationTests.Peer(1), ReputationTests.Peer(2)];

    [Fact]
    public void Improving_candidate_is_accepted_and_trust_is_unchanged()
    {
        var reputation = new ReputationTracker(ReputationOptions.Default);
        var gate = new ValidationGate(ValidationGateOptions.Default, Loss, reputation);
        float[] current = [0, 0, 0, 0];
        float[] candidate = [0.4f, 0.4f, 0.4f, 0.4f];

        GateDecision decision = gate.Evaluate(current, candidate, Contributors);

        Assert.True(decision.Accepted);
        Assert.True(decision.CandidateLoss < decision.CurrentLoss);
        Assert.Equal(0, reputation.Count);
    }

    [Fact]
    public void Worsening_candidate_is_rejected_with_a_reason_and_lowers_contributor_trust()
    {
        var reputation = new ReputationTracker(ReputationOptions.Default);
        var gate = new ValidationGate(ValidationGateOptions.Default, Loss, reputation);
        float[] current = [0.5f, 0.5f, 0.5f, 0.5f];
        float[] candidate = [3, -3, 3, -3];

        GateDecision decision = gate.Evaluate(current, candidate, Contributors);

        Assert.False(decision.Accepted);
        Assert.Contains("worsen", decision.Reason, StringComparison.Ordinal);
        foreach (PeerId peer in Contributors)
        {
            Assert.True(reputation.GetTrust(peer) < ReputationOptions.Default.InitialTrust);
            Assert.Equal(1, reputation.Snapshot().Single(p => p.Peer == peer).GateRejections);
        }
    }

    [Theory]
    [InlineData(2.0, 2.009, true)]  // within the absolute margin 0.01
    [InlineData(2.0, 2.011, false)] // beyond it (relative 0.5% of 2 = 0.01 too)
    [InlineData(10.0, 10.049, true)] // relative margin 0.05 dominates
    [InlineData(10.0, 10.051, false)]
    [InlineData(2.0, double.NaN, false)]
    [InlineData(double.PositiveInfinity, 2.0, false)]
    public void Margin_is_the_larger_of_absolute_and_relative(double current, double candidate, bool accepted)
    {
        Assert.Equal(accepted, ValidationGate.Decide(current, candidate, ValidationGateOptions.Default).Accepted);
    }

    [Fact]
    public void Non_finite_baseline_does_not_blame_contributors()
    {
        var reputation = new ReputationTracker(ReputationOptions.Default);
        var gate = new ValidationGate(ValidationGateOptions.Default, Loss, reputation);

        GateDecision decision = gate.Evaluate(double.NaN, [0.5f], Contributors);

        Assert.False(decision.Accepted);
        Assert.Equal(0, reputation.Count);
    }

    [Fact]
    public void Options_validation_names_the_key()
    {
        Assert.Contains((ValidationGateOptions.Default with { RelativeMargin = -1 }).Validate(), e => e.Contains("validation.relative_margin", StringComparison.Ordinal));
    }
}
