using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Threading.Channels;
using FedMesh.Node.Discovery.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FedMesh.Node.Discovery;

/// <summary>
/// mDNS over real UDP: one IPv4 and one IPv6 socket bound to port 5353 with SO_REUSEADDR (so other responders such
/// as Avahi keep working), joined to 224.0.0.251 / ff02::fb on every up, multicast-capable interface. Interfaces are
/// re-scanned periodically and on address-change events, so interfaces that appear or disappear later are joined or
/// left. Packets are sent per interface (IP_MULTICAST_IF / IPV6_MULTICAST_IF) with TTL/hop limit 255
/// (RFC 6762 §11). Send and receive errors are logged and survived.
/// </summary>
public sealed partial class UdpMulticastTransport : IMulticastTransport
{
    /// <summary>Pause after a receive error so that a persistent error cannot spin a core.</summary>
    private static readonly TimeSpan ReceiveErrorPause = TimeSpan.FromMilliseconds(100);

    private static readonly IPAddress GroupV4 = IPAddress.Parse("224.0.0.251");
    private static readonly IPAddress GroupV6 = IPAddress.Parse("ff02::fb");

    private readonly UdpMulticastOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Channel<MulticastPacket> _received;
    private readonly Lock _lock = new();
    private readonly Lock _sendLock = new();
    private readonly Dictionary<int, Joined> _joined = [];
    private readonly NetworkNamespaceThread? _namespace;
    private readonly CancellationTokenSource _stopping = new();
    private IReadOnlyList<MulticastInterface> _interfaces = [];
    private Socket? _v4;
    private Socket? _v6;
    private CancellationTokenSource? _kick;
    private readonly List<Task> _loops = [];
    private long _dropped;
    private int _scannedOnce;

    public UdpMulticastTransport(TimeProvider time, UdpMulticastOptions? options = null, ILogger<UdpMulticastTransport>? logger = null)
    {
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _options = options ?? UdpMulticastOptions.Default;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _received = Channel.CreateBounded<MulticastPacket>(
            new BoundedChannelOptions(_options.ReceiveQueueCapacity) { FullMode = BoundedChannelFullMode.DropWrite, SingleWriter = false });
        if (_options.NetworkNamespacePath is { } ns)
        {
            _namespace = new NetworkNamespaceThread(ns);
        }
    }

    /// <summary>Raised after start for interfaces that appear or whose addresses change (they need a fresh announcement).</summary>
    public event Action<MulticastInterface>? InterfaceAdded;

    public IReadOnlyList<MulticastInterface> Interfaces => Volatile.Read(ref _interfaces);

    public ChannelReader<MulticastPacket> Received => _received.Reader;

    /// <summary>Datagrams dropped: oversized, or the receive queue was full.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        (_v4, _v6) = await InNamespace(() => (_options.UseIPv4 ? Open(AddressFamily.InterNetwork) : null, _options.UseIPv6 ? Open(AddressFamily.InterNetworkV6) : null))
            .ConfigureAwait(false);
        if (_v4 is null && _v6 is null)
        {
            throw new InvalidOperationException($"mDNS: could not open an IPv4 or IPv6 UDP socket on port {_options.Port} (the log says why)");
        }

        await RescanAsync().ConfigureAwait(false);
        CancellationToken token = _stopping.Token;
        foreach (Socket socket in new[] { _v4, _v6 }.OfType<Socket>())
        {
            _loops.Add(Task.Run(() => ReceiveLoopAsync(socket, token), CancellationToken.None));
        }

        _loops.Add(Task.Run(() => RescanLoopAsync(token), CancellationToken.None));
        if (_namespace is null)
        {
            // Address-change events come from the process's own namespace, so only then do they concern us.
            NetworkChange.NetworkAddressChanged += OnAddressChanged;
        }
    }

    public Task SendAsync(ReadOnlyMemory<byte> packet, int interfaceIndex, CancellationToken cancellationToken)
    {
        Joined? joined;
        lock (_lock)
        {
            _joined.TryGetValue(interfaceIndex, out joined);
        }

        if (joined is null)
        {
            return Task.CompletedTask;
        }

        lock (_sendLock)
        {
            // The outgoing interface is a socket option, so setting it and sending must not interleave.
            if (joined.V4 && _v4 is { } v4)
            {
                TrySend(() =>
                {
                    v4.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastInterface, IPAddress.HostToNetworkOrder(interfaceIndex));
                    v4.SendTo(packet.Span, SocketFlags.None, new IPEndPoint(GroupV4, _options.Port));
                }, interfaceIndex);
            }

            if (joined.V6 && _v6 is { } v6)
            {
                TrySend(() =>
                {
                    v6.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.MulticastInterface, interfaceIndex);
                    v6.SendTo(packet.Span, SocketFlags.None, new IPEndPoint(GroupV6, _options.Port));
                }, interfaceIndex);
            }
        }

        return Task.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        NetworkChange.NetworkAddressChanged -= OnAddressChanged;
        await _stopping.CancelAsync().ConfigureAwait(false);
        _v4?.Dispose();
        _v6?.Dispose();
        try
        {
            await Task.WhenAll(_loops).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _received.Writer.TryComplete();
        _namespace?.Dispose();
        _stopping.Dispose();
        _kick?.Dispose();
    }

    private void TrySend(Action send, int interfaceIndex)
    {
        try
        {
            send();
        }
        catch (SocketException e)
        {
            Log.SendFailed(_logger, interfaceIndex, e.Message);
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private Socket? Open(AddressFamily family)
    {
        var socket = new Socket(family, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            bool v6 = family == AddressFamily.InterNetworkV6;
            SocketOptionLevel level = v6 ? SocketOptionLevel.IPv6 : SocketOptionLevel.IP;
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            if (v6)
            {
                socket.DualMode = false;
            }

            socket.Bind(new IPEndPoint(v6 ? IPAddress.IPv6Any : IPAddress.Any, _options.Port));
            // RFC 6762 §11: mDNS packets are sent with TTL / hop limit 255 (receivers may check it).
            socket.SetSocketOption(level, SocketOptionName.MulticastTimeToLive, 255);
            // Loopback on: two nodes on one host must hear each other.
            socket.SetSocketOption(level, SocketOptionName.MulticastLoopback, true);
            socket.SetSocketOption(level, SocketOptionName.PacketInformation, true);
            return socket;
        }
        catch (SocketException e)
        {
            socket.Dispose();
            Log.SocketFailed(_logger, family.ToString(), _options.Port, e.Message);
            return null;
        }
    }

    private Task<T> InNamespace<T>(Func<T> work) => _namespace is null ? Task.FromResult(work()) : _namespace.RunAsync(work);

    private void OnAddressChanged(object? sender, EventArgs e)
    {
        lock (_lock)
        {
            _kick?.Cancel();
        }
    }

    private async Task ReceiveLoopAsync(Socket socket, CancellationToken cancellationToken)
    {
        // One byte more than allowed, so an oversized datagram is recognisable even where truncation is not flagged.
        byte[] buffer = new byte[_options.MaxDatagramBytes + 1];
        EndPoint any = new IPEndPoint(socket.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                SocketReceiveMessageFromResult r = await socket.ReceiveMessageFromAsync(buffer, SocketFlags.None, any, cancellationToken).ConfigureAwait(false);
                if (r.ReceivedBytes > _options.MaxDatagramBytes || r.SocketFlags.HasFlag(SocketFlags.Truncated))
                {
                    Interlocked.Increment(ref _dropped);
                    continue;
                }

                var packet = new MulticastPacket(buffer.AsSpan(0, r.ReceivedBytes).ToArray(), (IPEndPoint)r.RemoteEndPoint, r.PacketInformation.Interface);
                if (!_received.Writer.TryWrite(packet))
                {
                    Interlocked.Increment(ref _dropped);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException e)
            {
                Log.ReceiveFailed(_logger, socket.AddressFamily.ToString(), e.Message);
                try
                {
                    await Task.Delay(ReceiveErrorPause, _time, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private sealed record Joined(string Name, bool V4, bool V6, IReadOnlyList<IPAddress> Addresses);
}
