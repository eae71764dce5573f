using FedMesh.Node.Gossip;
using FedMesh.Protocol;
using FedMesh.Protocol.Deltas;
using FedMesh.Protocol.Messages;
using NSec.Cryptography;

namespace FedMesh.Node.Tests.Gossip;

/// <summary>SPEC.md §5.5 step 6: a manifest timestamp outside the receiver's clock bounds is rejected on arrival, so
/// the delta is never stored, handed to the rounds, or announced on (issue 11: it spread to every node).</summary>
public class GossipTimestampTests
{
    public static TheoryData<string, ulong> BadTimestamps => new()
    {
        { "past year 9999", 253_402_300_800_001 },
        { "one hour ahead", (ulong)new DateTimeOffset(2026, 1, 1, 1, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds() },
        { "older than the staleness horizon", (ulong)(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero) - GossipOptions.Default.MaxDeltaAge).AddMilliseconds(-1).ToUnixTimeMilliseconds() },
    };

    [Theory]
    [MemberData(nameof(BadTimestamps))]
    public void A_validly_signed_delta_with_a_timestamp_out_of_bounds_is_rejected_and_not_relayed(string what, ulong timestampMs)
    {
        var net = new GossipNetwork(3);
        net.Connect(0, 1);
        net.Connect(1, 2);
        net.Run();
        (SignedDelta honest, byte[] payload) = net.Fixture.Sign(net[0].Key, 1, chunkSize: 512);
        byte[] manifest = (honest.Manifest with { TimestampMs = timestampMs }).Encode();
        byte[] signature = SignatureAlgorithm.Ed25519.Sign(net[0].Key, [.. "fedmesh-delta-manifest-v1"u8, .. manifest]);
        SignedDelta bad = SignedDelta.Verify(new DeltaManifestMessage(manifest, signature), net.Fixture.Local);

        net[0].Engine.Publish(bad, payload);
        net.Run();

        var rejected = Assert.Single(net[1].Rejected);
        Assert.True(rejected.Code == ProtocolErrorCode.BadTimestamp, what);
        Assert.Empty(net[1].Verified);
        Assert.False(net[1].Engine.Store.TryGet(Convert.ToHexStringLower(bad.ContentId), out _));
        Assert.DoesNotContain(net[2].Sent, s => s.Message is WantMessage);

        // The peer that served it is told, and stays connected (SPEC.md §4.9).
        Assert.Contains(net[1].Sent, s => s.To == net[0].Peer && s.Message is ErrorMessage { Code: ProtocolErrorCode.BadTimestamp });
        Assert.Empty(net[1].Closes);

        // The origin's next, honest delta still reaches everyone.
        (SignedDelta next, byte[] nextPayload) = net.Fixture.Sign(net[0].Key, 2, chunkSize: 512);
        StoredDelta good = net[0].Engine.Publish(next, nextPayload);
        net.Run();
        Assert.True(net[2].Holds(good));
    }
}
