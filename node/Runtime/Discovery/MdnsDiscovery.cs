using System.Net;
using System.Threading.Channels;
using FedMesh.Node.Discovery.Internal;
using FedMesh.Node.Membership;
using FedMesh.Protocol.Identity;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FedMesh.Node.Discovery;

/// <summary>
/// mDNS / DNS-SD discovery of FedMesh peers on the local link (RFC 6762, RFC 6763), service <c>_fedmesh._tcp.local</c>.
/// Announces this node on every interface of the transport (and again on interfaces that appear later), answers
/// queries for it, queries with a doubling interval from 1 s to 60 min (RFC 6762 §5.2) with known-answer
/// suppression (§7.1), re-queries at 80 % and 90 % of a peer's TTL, and sends a goodbye (TTL 0) on stop. Peers of
/// another mesh are ignored. Changes are surfaced through <see cref="ReadChangesAsync"/> and <see cref="Known"/>.
/// Incoming packets are untrusted: size-capped before parsing, rate-limited, parse errors counted.
/// </summary>
public sealed partial class MdnsDiscovery : IAsyncDisposable
{
    /// <summary>Changes buffered for a slow reader; the oldest are dropped beyond this (<see cref="Known"/> stays exact).</summary>
    private const int ChangeQueueCapacity = 256;

    private readonly MdnsService _self;
    private readonly IMulticastTransport _transport;
    private readonly TimeProvider _time;
    private readonly Random _random;
    private readonly MdnsOptions _options;
    private readonly ILogger _logger;
    private readonly TokenBucket _packetBudget;
    private readonly Channel<DiscoveredPeer> _changes = Channel.CreateBounded<DiscoveredPeer>(
        new BoundedChannelOptions(ChangeQueueCapacity) { FullMode = BoundedChannelFullMode.DropOldest });

    private readonly Lock _lock = new();
    private readonly Dictionary<PeerId, TrackedPeer> _peers = [];
    private readonly Dictionary<int, long> _lastAnswerAt = [];
    private CancellationTokenSource? _stopping;
    private CancellationTokenSource? _wait;
    private Task _receiveLoop = Task.CompletedTask;
    private Task _queryLoop = Task.CompletedTask;
    /// <summary>1 when a new interface asks the query loop to query now and restart its schedule.</summary>
    private int _requery;
    private int _stopped;

    public MdnsDiscovery(MdnsService self, IMulticastTransport transport, TimeProvider time, Random random, MdnsOptions? options = null, ILogger<MdnsDiscovery>? logger = null)
    {
        _self = self ?? throw new ArgumentNullException(nameof(self));
        _transport = transport ?? throw new ArgumentNullException(nameof(transport));
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _random = random ?? throw new ArgumentNullException(nameof(random));
        _options = options ?? MdnsOptions.Default;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        if (self.Port is < 1 or > IPEndPoint.MaxPort || string.IsNullOrEmpty(self.MeshId) || self.MeshId.Length > MdnsMessages.MaxMeshIdLength)
        {
            throw new ArgumentException($"service needs a port 1–65535 and a mesh id of 1–{MdnsMessages.MaxMeshIdLength} characters", nameof(self));
        }

        _packetBudget = new TokenBucket(_options.MaxPacketsPerSecond, _options.PacketBurst, time);
    }

    /// <summary>Counters for metrics and tests.</summary>
    public MdnsCounters Counters { get; } = new();

    /// <summary>Peers of our mesh currently seen on the link.</summary>
    public IReadOnlyList<DiscoveredPeer> Known
    {
        get
        {
            lock (_lock)
            {
                return [.. _peers.Values.Select(p => p.Peer)];
            }
        }
    }

    /// <summary>Found / updated / lost events, in order; one reader at a time.</summary>
    public IAsyncEnumerable<DiscoveredPeer> ReadChangesAsync(CancellationToken cancellationToken = default) =>
        _changes.Reader.ReadAllAsync(cancellationToken);

    /// <summary>Starts the transport, announces on every interface and starts receiving and querying.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_stopping is not null)
        {
            throw new InvalidOperationException("discovery was already started");
        }

        _stopping = new CancellationTokenSource();
        _transport.InterfaceAdded += OnInterfaceAdded;
        await _transport.StartAsync(cancellationToken).ConfigureAwait(false);
        Log.Started(_logger, _self.PeerId.Value, _self.MeshId, _self.Port, _transport.Interfaces.Count);
        foreach (MulticastInterface iface in _transport.Interfaces)
        {
            await AnnounceAsync(iface, goodbye: false, _stopping.Token).ConfigureAwait(false);
        }

        _receiveLoop = Task.Run(() => ReceiveLoopAsync(_stopping.Token), CancellationToken.None);
        _queryLoop = Task.Run(() => QueryLoopAsync(_stopping.Token), CancellationToken.None);
    }

    /// <summary>Sends the goodbye on every interface and stops the loops. The transport is the caller's to dispose.</summary>
    public async Task StopAsync()
    {
        if (_stopping is null || Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        // The goodbye goes last: stop the loops first, so no answer to a peer's query (the receive loop) and no
        // announcement on a new link (OnInterfaceAdded) can follow it and make the peers learn this node again for a
        // whole TTL. Seen as "goodbye not received" in NetnsMdnsTests when the peer's re-query raced the stop.
        _transport.InterfaceAdded -= OnInterfaceAdded;
        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_receiveLoop, _queryLoop).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        foreach (MulticastInterface iface in _transport.Interfaces)
        {
            await AnnounceAsync(iface, goodbye: true, CancellationToken.None).ConfigureAwait(false);
        }

        _changes.Writer.TryComplete();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _stopping?.Dispose();
        lock (_lock)
        {
            _wait?.Dispose();
            _wait = null;
        }
    }

    private void OnInterfaceAdded(MulticastInterface iface)
    {
        CancellationToken token = _stopping?.Token ?? CancellationToken.None;
        // A new link may have peers we never saw: announce there and restart the query schedule at 1 s.
        _ = Task.Run(
            async () =>
            {
                await AnnounceAsync(iface, goodbye: false, token).ConfigureAwait(false);
                Interlocked.Exchange(ref _requery, 1);
                lock (_lock)
                {
                    if (Volatile.Read(ref _stopped) == 0)
                    {
                        _wait?.Cancel();
                    }
                }
            },
            token);
    }

    private async Task AnnounceAsync(MulticastInterface iface, bool goodbye, CancellationToken cancellationToken)
    {
        if (!_options.Announce || (!goodbye && Volatile.Read(ref _stopped) != 0))
        {
            // Stopping: only the goodbye may still go out (a late announcement would undo it).
            return;
        }

        byte[] packet = MdnsMessages.BuildAnnouncement(_self, iface.Addresses, _options, goodbye).ToByteArray();
        lock (_lock)
        {
            _lastAnswerAt[iface.Index] = _time.GetTimestamp();
        }

        await _transport.SendAsync(packet, iface.Index, cancellationToken).ConfigureAwait(false);
        Interlocked.Increment(ref Counters.AnnouncementsSentField);
    }

    private void Publish(DiscoveredPeer change)
    {
        _changes.Writer.TryWrite(change);
        if (change.Change == DiscoveryChange.Lost)
        {
            Log.PeerLost(_logger, change.PeerId.Value);
        }
        else
        {
            Log.PeerFound(_logger, change.PeerId.Value, change.Change, string.Join(", ", change.EndPoints));
        }
    }

    private sealed class TrackedPeer(DiscoveredPeer peer, DateTimeOffset receivedAt, TimeSpan ttl, TimeSpan ptrTtl)
    {
        public DiscoveredPeer Peer { get; set; } = peer;

        public DateTimeOffset ReceivedAt { get; set; } = receivedAt;

        public TimeSpan Ttl { get; set; } = ttl;

        public TimeSpan PtrTtl { get; set; } = ptrTtl;

        /// <summary>Cache-maintenance queries sent for the current records (RFC 6762 §5.2: at 80 %, then 90 % of TTL).</summary>
        public int Refreshes { get; set; }

        public DateTimeOffset ExpiresAt => ReceivedAt + Ttl;

        public DateTimeOffset RefreshAt => ReceivedAt + (Ttl * (0.8 + (0.1 * Refreshes)));
    }
}
