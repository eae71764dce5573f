namespace FedMesh.Node.Discovery;

/// <summary>Monotonic counters of <see cref="MdnsDiscovery"/> (read with <see cref="Volatile"/> semantics).</summary>
public sealed class MdnsCounters
{
    internal long PacketsReceivedField;
    internal long PacketsTooLargeField;
    internal long PacketsMalformedField;
    internal long PacketsRateLimitedField;
    internal long OtherMeshIgnoredField;
    internal long InvalidInstancesField;
    internal long QueriesSentField;
    internal long QueriesAnsweredField;
    internal long AnnouncementsSentField;
    internal long PeersRejectedFullField;

    public long PacketsReceived => Volatile.Read(ref PacketsReceivedField);

    /// <summary>Dropped before parsing: larger than <see cref="MdnsOptions.MaxPacketBytes"/>.</summary>
    public long PacketsTooLarge => Volatile.Read(ref PacketsTooLargeField);

    /// <summary>Not a DNS message (parse error); dropped.</summary>
    public long PacketsMalformed => Volatile.Read(ref PacketsMalformedField);

    /// <summary>Dropped unparsed because the packet rate limit was exhausted.</summary>
    public long PacketsRateLimited => Volatile.Read(ref PacketsRateLimitedField);

    /// <summary>FedMesh announcements of another mesh id; ignored.</summary>
    public long OtherMeshIgnored => Volatile.Read(ref OtherMeshIgnoredField);

    /// <summary>FedMesh-looking instances with unusable records (bad id, version, missing SRV/TXT).</summary>
    public long InvalidInstances => Volatile.Read(ref InvalidInstancesField);

    public long QueriesSent => Volatile.Read(ref QueriesSentField);

    public long QueriesAnswered => Volatile.Read(ref QueriesAnsweredField);

    public long AnnouncementsSent => Volatile.Read(ref AnnouncementsSentField);

    /// <summary>New peers not tracked because <see cref="MdnsOptions.MaxPeers"/> were already tracked.</summary>
    public long PeersRejectedFull => Volatile.Read(ref PeersRejectedFullField);
}
