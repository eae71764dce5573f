using FedMesh.Node.Merge;
using FedMesh.Node.Mesh;
using FedMesh.Node.Reputation;
using FedMesh.Protocol.Identity;
using NSec.Cryptography;

namespace FedMesh.Node.Tests.Mesh;

/// <summary>Issue 11: one bad chunk from a peer must not cost its state that was already verified end to end.</summary>
public class TransportFaultTests
{
    [Fact]
    public void A_peer_that_sends_one_bad_chunk_keeps_its_already_verified_state_in_the_next_merge()
    {
        using var learner = new CoordinatorKit.StepLearner(0f);
        var reputation = new ReputationTracker(ReputationOptions.Default); // a new peer: trust 0.5, ignored below 0.3
        var coordinator = new RoundCoordinator(
            learner,
            new RobustAggregator(AggregatorOptions.Default with { Rule = AggregationRule.Mean, MaxDegreeOfParallelism = 1 }),
            reputation,
            gate: null,
            dp: null,
            ledger: null,
            CoordinatorKit.NewKey(),
            CoordinatorKit.Mesh,
            TimeProvider.System,
            MeshOptions.Default with { PrivacyEnabled = false, PeerDistanceBound = 1e6 });
        using Key peer = CoordinatorKit.NewKey();
        PeerId peerId = PeerId.FromPublicKey(peer.PublicKey.Export(KeyBlobFormat.RawPublicKey));
        float[] state = Enumerable.Repeat(1f, CoordinatorKit.D).ToArray();
        Assert.Null(coordinator.Offer(CoordinatorKit.Stored(peer, state), state));

        // What the node records when this peer then serves a chunk whose hash is not the manifest's.
        reputation.RecordTransportFault(peerId);
        RoundReport report = coordinator.RunRound(CancellationToken.None);

        Assert.Equal(1, report.Merged);
        Assert.DoesNotContain(report.Decisions, d => d.Reason.Contains("trust below threshold", StringComparison.Ordinal));
    }
}
