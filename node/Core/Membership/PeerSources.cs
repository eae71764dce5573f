namespace FedMesh.Node.Membership;

/// <summary>How a node learned about a peer. Flags: a peer may be both a seed and seen on mDNS.</summary>
[Flags]
public enum PeerSources
{
    None = 0,

    /// <summary>Configured by the operator; trusted most and never evicted.</summary>
    Seed = 1,

    /// <summary>Announced on the local link by mDNS (first-hand, but any local host can announce).</summary>
    Mdns = 2,

    /// <summary>Heard from another peer's PeerList (second-hand, capped and sanity-checked).</summary>
    Pex = 4,

    /// <summary>Dialled us, or we dialled it, and the handshake succeeded.</summary>
    Direct = 8,
}
