using FedMesh.Protocol.Identity;

namespace FedMesh.Node.Reputation;

/// <summary>One peer's reputation as shown by status.</summary>
/// <param name="Weight">Merge weight in [0, 1] (<see cref="TrustMath.Weight"/>).</param>
/// <param name="Ignored">True when trust is below the ignore threshold (weight 0).</param>
public sealed record PeerTrust(
    PeerId Peer,
    double Trust,
    double Weight,
    bool Ignored,
    long Observations,
    long Rejections,
    long SignatureFailures,
    long GateRejections,
    DateTimeOffset LastSeen);
