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
        if (address.Host is null)
        {
            return false;
        }

        Internal.StringMemo<HostKind> kinds = t_hostKinds ??= new(4096);
        if (!kinds.TryGet(address.Host, out HostKind kind))
        {
            kind = KindOf(address);
            kinds.Set(address.Host, kind);
        }

        return kind == HostKind.Acceptable || (kind == HostKind.Loopback && allowLoopback);
    }

    /// <summary>What <see cref="KindOf"/> found for hosts checked lately, per thread: every address of every PEX
    /// entry is checked, mostly the same few hundred hosts, and parsing each host again was about 1 % of a 1,000-node
    /// netsim run's allocations. 4,096 slots, as <see cref="PeerAddress"/>'s memo of parsed texts.</summary>
    [ThreadStatic]
    private static Internal.StringMemo<HostKind>? t_hostKinds;

    /// <summary>What a host is to <see cref="IsAcceptableRemoteAddress"/>.</summary>
    private enum HostKind : byte
    {
        Rejected,
        Loopback,
        Acceptable,
    }

    private static HostKind KindOf(PeerAddress address)
    {
        if (address.Ip is not { } ip)
        {
            return HostKind.Rejected;
        }

        if (ip.IsIPv4MappedToIPv6)
        {
            ip = ip.MapToIPv4();
        }

        if (IPAddress.IsLoopback(ip))
        {
            return HostKind.Loopback;
        }

        if (ip.Equals(IPAddress.Any) || ip.Equals(IPAddress.IPv6Any) || ip.Equals(IPAddress.Broadcast))
        {
            return HostKind.Rejected;
        }

        if (ip.AddressFamily == AddressFamily.InterNetworkV6)
        {
            return ip.IsIPv6Multicast || ip.IsIPv6LinkLocal ? HostKind.Rejected : HostKind.Acceptable;
        }

        // IPv4 here (IPv6 returned above): its four bytes, without GetAddressBytes' array per check.
        Span<byte> bytes = stackalloc byte[4];
        _ = ip.TryWriteBytes(bytes, out _);
        byte first = bytes[0];
        // 224.0.0.0/4 is multicast, 240.0.0.0/4 reserved (RFC 1112), 0.0.0.0/8 "this network" (RFC 1122).
        return first is < 224 and not 0 ? HostKind.Acceptable : HostKind.Rejected;
    }

    /// <summary>A public key in a PEX entry must be 32 bytes and hash to the entry's peer id.</summary>
    public static bool KeyMatchesId(PeerId id, byte[]? publicKey) =>
        publicKey is null || (publicKey.Length == PeerId.PublicKeyLength && PeerId.FromPublicKey(publicKey) == id);
}
