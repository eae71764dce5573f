using System.Net;
using System.Threading.Channels;

namespace FedMesh.Node.Discovery;

/// <summary>A network interface the transport has joined the mDNS groups on, with its current addresses.</summary>
public sealed record MulticastInterface(int Index, string Name, IReadOnlyList<IPAddress> Addresses);

/// <summary>A received datagram; <see cref="Data"/> is owned by the receiver.</summary>
public sealed record MulticastPacket(byte[] Data, IPEndPoint Source, int InterfaceIndex);

/// <summary>
/// Link-local multicast for mDNS: the real UDP implementation (<see cref="UdpMulticastTransport"/>) and an
/// in-memory one (<see cref="InMemoryMulticastHub"/>) for tests and the simulator.
/// </summary>
public interface IMulticastTransport : IAsyncDisposable
{
    /// <summary>
    /// Raised (on any thread) when an interface becomes usable after <see cref="StartAsync"/> (or its addresses
    /// change), so announcements can go out on it. Interfaces present at start are in <see cref="Interfaces"/> only.
    /// </summary>
    event Action<MulticastInterface>? InterfaceAdded;

    /// <summary>Interfaces currently joined.</summary>
    IReadOnlyList<MulticastInterface> Interfaces { get; }

    /// <summary>Received packets; bounded, so a flood drops packets instead of growing memory.</summary>
    ChannelReader<MulticastPacket> Received { get; }

    Task StartAsync(CancellationToken cancellationToken);

    /// <summary>Sends one packet to the mDNS group(s) on <paramref name="interfaceIndex"/>; errors are logged, not thrown.</summary>
    Task SendAsync(ReadOnlyMemory<byte> packet, int interfaceIndex, CancellationToken cancellationToken);
}
