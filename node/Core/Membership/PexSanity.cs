using System.Net;
using System.Net.Sockets;
using FedMesh.Protocol.Identity;

namespace FedMesh.Node.Membership;

/// <summary>Pure checks applied to second-hand (PEX) peer information before it enters the peer book.</summary>
public static class PexSanity
{
    /// <summary>
    /// Whether a remote peer may tell us to dial <paramref name="address"/>: only IP literals (a DNS name would let
    /// it make us resolve names of its choice), no unspecified/multicast/broadcast, no IPv6 link-local (meaningless
    /// without our own interface scope), loopback only if allowed.
    /// </summary>
    public static bool IsAcceptableRemoteAddress(PeerAddress address, bool allowLoopback)
    {
        if (address.Ip is not { } ip)
        {
            return false;
        }

        if (ip.IsIPv4MappedToIPv6)
        {
            ip = ip.MapToIPv4();
        }

        if (IPAddress.IsLoopback(ip))
        {
            return allowLoopback;
        }

        if (ip.Equals(IPAddress.Any) || ip.Equals(IPAddress.IPv6Any) || ip.Equals(IPAddress.Broadcast))
        {
            return false;
        }

        if (ip.AddressFamily == AddressFamily.InterNetworkV6)
        {
            return !(ip.IsIPv6Multicast || ip.IsIPv6LinkLocal);
        }

        // IPv4 here (IPv6 returned above): its four bytes, without GetAddressBytes' array per check.
        Span<byte> bytes = stackalloc byte[4];
        _ = ip.TryWriteBytes(bytes, out _);
        byte first = bytes[0];
        // 224.0.0.0/4 is multicast, 240.0.0.0/4 reserved (RFC 1112), 0.0.0.0/8 "this network" (RFC 1122).
        return first is < 224 and not 0;
    }

    /// <summary>A public key in a PEX entry must be 32 bytes and hash to the entry's peer id.</summary>
    public static bool KeyMatchesId(PeerId id, byte[]? publicKey) =>
        publicKey is null || (publicKey.Length == PeerId.PublicKeyLength && PeerId.FromPublicKey(publicKey) == id);
}
