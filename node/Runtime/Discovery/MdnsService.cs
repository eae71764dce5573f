using FedMesh.Protocol.Identity;

namespace FedMesh.Node.Discovery;

/// <summary>What this node announces: its peer id, mesh id and the TCP port it accepts FedMesh connections on.</summary>
public sealed record MdnsService(PeerId PeerId, string MeshId, int Port)
{
    /// <summary>DNS-SD instance name (RFC 6763 §4.1): the peer id, unique by construction.</summary>
    public string InstanceName => $"{PeerId}.{MdnsOptions.ServiceType}";

    /// <summary>Host name the SRV record points at: the peer id under .local (unique, unlike the machine name).</summary>
    public string HostName => $"{PeerId}.local";
}

public enum DiscoveryChange
{
    /// <summary>A peer of our mesh was announced for the first time (or again after it was lost).</summary>
    Found,

    /// <summary>A known peer announced different endpoints.</summary>
    Updated,

    /// <summary>The peer said goodbye (TTL 0) or its records expired.</summary>
    Lost,
}

/// <summary>A change in the set of peers seen on the local link.</summary>
public sealed record DiscoveredPeer(PeerId PeerId, string MeshId, IReadOnlyList<System.Net.IPEndPoint> EndPoints, DiscoveryChange Change)
{
    /// <summary>The endpoints as peer-book addresses (for <see cref="Membership.PeerBook.Observe"/> with <see cref="Membership.PeerSources.Mdns"/>).</summary>
    public IReadOnlyList<Membership.PeerAddress> Addresses => [.. EndPoints.Select(Membership.PeerAddress.FromEndPoint)];
}
