using FedMesh.Node.Hosting.Internal;

namespace FedMesh.Node.Tests.Hosting;

/// <summary>
/// When the membership replaces a session with a view peer (<see cref="MembershipService.MayRotate"/>): only while the
/// node has evidence of attack (it ignores a peer, or merged mostly far states lately), a view peer is unconnected, and it has at least its view size of sessions.
/// </summary>
public class MayRotateTests
{
    [Theory]
    [InlineData(8, 8, true, true, true)]
    [InlineData(12, 8, true, true, true)]
    [InlineData(7, 8, true, true, false)]
    [InlineData(8, 8, false, true, false)]
    [InlineData(8, 8, true, false, false)]
    public void A_node_rotates_only_under_attack_with_a_view_peer_to_dial_and_no_fewer_than_view_size_sessions(int open, int viewSize, bool unconnectedInView, bool underAttack, bool rotates) =>
        Assert.Equal(rotates, MembershipService.MayRotate(open, viewSize, unconnectedInView, underAttack));
}
