namespace FedMesh.Node.Membership;

/// <summary>Bounds and policy of the <see cref="PeerBook"/>.</summary>
public sealed record PeerBookOptions
{
    public static readonly PeerBookOptions Default = new();

    /// <summary>
    /// Entries kept at most: 1024 is far more than the 8–32 connections a node keeps, enough to reconnect after
    /// churn, and keeps peers.json under ~300 KiB.
    /// </summary>
    public int Capacity { get; init; } = 1024;

    /// <summary>
    /// Entries learned only second-hand (PEX) at most: half the book, so that gossip from possibly hostile peers can
    /// never crowd out what this node saw itself (the eclipse-attack defence of Heilman et al., USENIX Sec 2015,
    /// in miniature).
    /// </summary>
    public int MaxPexEntries { get; init; } = 512;

    /// <summary>Entries learned only from mDNS at most: a busy LAN should not displace seeds and PEX peers entirely.</summary>
    public int MaxMdnsEntries { get; init; } = 256;

    /// <summary>Addresses kept per peer: a host rarely has more than a v4, a v6 and a NATed public address or two.</summary>
    public int MaxAddressesPerPeer { get; init; } = 4;

    /// <summary>Entries of one PeerList message considered; the rest are ignored (bounds the work one message causes).</summary>
    public int MaxPexRecordsPerMessage { get; init; } = 64;

    /// <summary>New entries one PeerList message may add: 16, so one peer cannot fill the PEX share in a single message.</summary>
    public int MaxNewPexEntriesPerMessage { get; init; } = 16;

    /// <summary>
    /// Accept loopback addresses from remote peers. Off: a remote peer has no business telling us to dial our own
    /// loopback (it would point us at local services). On for simulations that run every node on 127.0.0.1.
    /// </summary>
    public bool AllowLoopbackFromPex { get; init; }

    /// <summary>Each consecutive failure ages an entry by this much for eviction: one hour per failed dial.</summary>
    public TimeSpan FailurePenalty { get; init; } = TimeSpan.FromHours(1);

    /// <summary>peers.json larger than this is treated as corrupt before parsing: 8 MiB ≫ Capacity × ~300 bytes.</summary>
    public long MaxFileBytes { get; init; } = 8 * 1024 * 1024;
}
