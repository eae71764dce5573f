using FedMesh.Protocol.Identity;

namespace FedMesh.Node.Membership;

/// <summary>One entry of a remote PeerList message, as decoded by the protocol layer; untrusted.</summary>
public sealed record PexEntry(PeerId Id, IReadOnlyList<PeerAddress> Addresses, byte[]? PublicKey = null);

/// <summary>Why PEX entries were dropped, counted per merge for logs and metrics.</summary>
public sealed record PexMergeResult
{
    public int Added { get; init; }

    public int Updated { get; init; }

    /// <summary>Entries beyond <see cref="PeerBookOptions.MaxPexRecordsPerMessage"/>.</summary>
    public int IgnoredOverMessageCap { get; init; }

    /// <summary>Entries naming ourselves, or with a public key that does not hash to the id or contradicts the known one.</summary>
    public int RejectedIdentity { get; init; }

    /// <summary>Entries left with no acceptable address (loopback, unspecified, multicast, link-local, DNS names).</summary>
    public int RejectedAddresses { get; init; }

    /// <summary>New entries refused because the PEX share of the book or the per-message cap was full.</summary>
    public int RejectedCapacity { get; init; }
}
