using System.Collections.Frozen;
using FedMesh.Protocol.Identity;

namespace FedMesh.Node.Reputation;

/// <summary>
/// The peers the round loop's copy and collusion evidence links to another peer
/// (<see cref="ReputationOptions.ShareCopyWeight"/>), for push targeting. The round loop publishes a new set after each
/// merge and the gossip actor reads it on every release from its own thread, so the set is immutable and swapped
/// whole (a volatile reference): readers take no lock and never see a set half built.
/// </summary>
public sealed partial class ReputationTracker
{
    private volatile FrozenSet<PeerId> _copyLinked = FrozenSet<PeerId>.Empty;

    /// <summary>Replaces the set of copy-linked peers (the round loop, after each merge); logs each peer newly linked.</summary>
    public void SetCopyLinked(IReadOnlySet<PeerId> linked)
    {
        ArgumentNullException.ThrowIfNull(linked);
        FrozenSet<PeerId> before = _copyLinked;
        if (before.Count == linked.Count && before.SetEquals(linked))
        {
            // The usual round: no link came or went, so no new set is built (a merge runs every round on every node).
            return;
        }

        foreach (PeerId peer in linked)
        {
            if (!before.Contains(peer))
            {
                Log.CopyLinked(_logger, peer.Value);
            }
        }

        _copyLinked = linked.ToFrozenSet();
    }

    /// <summary>Whether copy or collusion evidence links <paramref name="peer"/> to another peer. Thread-safe, lock-free.</summary>
    public bool IsCopyLinked(PeerId peer) => _copyLinked.Contains(peer);

    /// <summary>
    /// Whether a push to <paramref name="peer"/> does not count toward the fanout (SPEC.md §9.9): the peer is ignored,
    /// or copy-linked. A linked peer is still pushed to when drawn; the release then also reaches one more peer, so
    /// colluders that copy each other do not take up the pushes meant for independent peers.
    /// </summary>
    public bool PassedOverInFanout(PeerId peer) => IsIgnored(peer) || IsCopyLinked(peer);
}
