using FedMesh.Node.Gossip.Internal;
using FedMesh.Protocol;
using FedMesh.Protocol.Deltas;
using FedMesh.Protocol.Identity;
using FedMesh.Protocol.Messages;

namespace FedMesh.Node.Gossip;

/// <summary>
/// Content-addressed delta dissemination (SPEC.md §9), written without I/O so the daemon and netsim run the same
/// code: Hello checks, Have announcements to a random fanout, receiver-driven windowed pulls (Want) of the manifest
/// and chunks from one announcer at a time, verification of the signature and every chunk, resumption from another
/// announcer after a stall, and (flood mode) re-announcement of what was verified. Every delta is downloaded at most
/// once per node. In neighbours mode (<see cref="GossipMode.Neighbours"/>) only the node's own releases are announced,
/// to <see cref="GossipOptions.Fanout"/> peers, and only a peer's own states are pulled from it: nothing is relayed.
/// Not thread-safe: one caller (an actor loop or the simulator) drives it.
/// </summary>
public sealed partial class GossipEngine
{
    private readonly LocalMesh _mesh;
    private HelloMessage _hello;

    /// <summary>This node's public key in hex, as <see cref="StoredDelta.OriginHex"/> spells its releases' origin.</summary>
    private readonly string _ownOriginHex;
    private readonly GossipOptions _options;
    private readonly SequenceTracker _sequences;
    private readonly TimeProvider _time;
    private readonly Random _random;
    private readonly IGossipHost _host;
    private readonly PullScheduler _scheduler;
    private readonly DeltaStore _store;
    private readonly Dictionary<PeerId, PeerState> _peers = [];
    private readonly Dictionary<string, Transfer> _transfers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HaveMessage> _announced = new(StringComparer.Ordinal);
    private readonly ChunkPlacements _placements = new();
    private readonly OfferLedger _offers = new(MaxRememberedPeers);
    private readonly Func<PeerId, bool>? _ignored;
    private DateTimeOffset _nextAntiEntropy;

    /// <summary>Peers whose last offered own state is remembered (neighbours mode). A partial view holds a few
    /// dozen peers and shuffles meet a few hundred over hours; 4,096 entries (~0.5 MB) cover that with room, and a
    /// forgotten peer costs one repeated Have.</summary>
    private const int MaxRememberedPeers = 4096;

    public GossipEngine(
        LocalMesh mesh,
        HelloMessage hello,
        GossipOptions options,
        SequenceTracker sequences,
        TimeProvider time,
        Random random,
        IGossipHost host,
        Func<PeerId, bool>? ignored = null)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        ArgumentNullException.ThrowIfNull(hello);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Problem() is { } problem)
        {
            throw new ArgumentException(problem, nameof(options));
        }

        _mesh = mesh;
        _hello = hello;
        _ownOriginHex = Convert.ToHexStringLower(hello.PublicKey.Span);
        _options = options;
        _sequences = sequences ?? throw new ArgumentNullException(nameof(sequences));
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _random = random ?? throw new ArgumentNullException(nameof(random));
        _host = host ?? throw new ArgumentNullException(nameof(host));
        _ignored = ignored;
        _scheduler = new PullScheduler(options.Pull);
        _store = new DeltaStore(options.MaxStoredDeltas, options.MaxStoredBytes);
        _nextAntiEntropy = time.GetUtcNow() + options.AntiEntropyInterval;
    }

    /// <summary>The listen addresses this node's Hello announces, once its listener is bound (port 0 is resolved
    /// only then). Call before any peer connects.</summary>
    public void SetListenAddresses(IReadOnlyList<string> addresses) => _hello = _hello with { ListenAddresses = addresses };

    /// <summary>Peers whose Hello was accepted.</summary>
    public IEnumerable<PeerId> ReadyPeers => _peers.Where(p => p.Value.Ready).Select(p => p.Key);

    /// <summary>Verified deltas held for serving: in flood mode what this node relays, in neighbours mode its own
    /// releases only.</summary>
    public DeltaStore Store => _store;

    /// <summary>Deltas being pulled now.</summary>
    public int TransfersInFlight => _transfers.Count;

    /// <summary>The assemblers of the deltas being pulled, for connections' read loops to decrypt chunks into
    /// (thread-safe; the engine keeps it current as transfers start, change source and end).</summary>
    public ChunkPlacements Placements => _placements;

    /// <summary>A secure connection to <paramref name="peer"/>, authenticated as <paramref name="publicKey"/>, is up.</summary>
    public void Connected(PeerId peer, ReadOnlyMemory<byte> publicKey)
    {
        _peers[peer] = new PeerState(publicKey.ToArray(), _time.GetUtcNow());
        _host.Send(peer, _hello);
    }

    /// <summary>The connection to <paramref name="peer"/> is gone; its pulls move to other announcers.</summary>
    public void Disconnected(PeerId peer)
    {
        if (_peers.Remove(peer))
        {
            StartPulls(_scheduler.OnPeerGone(peer, _time.GetUtcNow()));
            DropAbandoned();
        }
    }

    /// <summary>Periodic upkeep (call about once a second): peers silent since connecting are closed, stalled pulls
    /// resume from another announcer, and every
    /// <see cref="GossipOptions.AntiEntropyInterval"/> one random ready peer is sent the newest-per-origin Haves.</summary>
    public void Tick()
    {
        DateTimeOffset now = _time.GetUtcNow();
        CloseSilentNewcomers(now);
        StartPulls(_scheduler.OnTick(now));
        DropAbandoned();
        // Anti-entropy makes every state reach every node: flood mode only. In neighbours mode a state that missed a
        // neighbour is superseded by the next round's release, which goes to freshly chosen peers.
        if (Relays && now >= _nextAntiEntropy)
        {
            _nextAntiEntropy = now + _options.AntiEntropyInterval;
            PeerId[] ready = ReadyPeers.ToArray();
            if (ready.Length > 0)
            {
                SendLatest(ready[_random.Next(ready.Length)]);
            }
        }
    }

    /// <summary>Stores this node's own new delta and announces it.</summary>
    public StoredDelta Publish(SignedDelta delta, ReadOnlyMemory<byte> payload)
    {
        ArgumentNullException.ThrowIfNull(delta);
        if (payload.Length != delta.Manifest.TotalSize)
        {
            throw new ArgumentException($"payload is {payload.Length} bytes, manifest says {delta.Manifest.TotalSize}", nameof(payload));
        }

        _sequences.Commit(delta.Manifest.Origin.Span, delta.Manifest.Sequence);
        var stored = new StoredDelta(delta, payload, _time.GetUtcNow());
        _store.Add(stored);
        RemoveTransfer(stored.ContentIdHex);
        _announced.Remove(stored.ContentIdHex);

        // If the same content was being pulled, its slot frees up: start whatever waited for it.
        StartPulls(_scheduler.OnFinished(stored.ContentIdHex, _time.GetUtcNow()));
        if (!Relays)
        {
            _offers.NewRelease();
        }

        Announce(stored, except: null);
        return stored;
    }

    /// <summary>Handles one message from <paramref name="peer"/>. Protocol violations close that peer's connection.</summary>
    public void Receive(PeerId peer, WireMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (!_peers.TryGetValue(peer, out PeerState? state))
        {
            return;
        }

        try
        {
            if (!state.Ready)
            {
                if (message is HelloMessage hello)
                {
                    OnHello(peer, state, hello);
                }
                else if (message is ByeMessage or ErrorMessage)
                {
                    Disconnected(peer);
                }
                else
                {
                    throw new ProtocolException(ProtocolErrorCode.UnexpectedFrameType, $"{message.Type} before Hello");
                }

                return;
            }

            switch (message)
            {
                case HaveMessage have:
                    OnHave(peer, have);
                    break;
                case WantMessage want:
                    OnWant(peer, want);
                    break;
                case DeltaManifestMessage manifest:
                    OnManifest(peer, manifest);
                    break;
                case DeltaChunkMessage chunk:
                    OnChunk(peer, chunk);
                    break;
                case PingMessage ping:
                    _host.Send(peer, new PongMessage(ping.Nonce));
                    break;
                case HelloMessage:
                    throw new ProtocolException(ProtocolErrorCode.UnexpectedFrameType, "second Hello");
                case ByeMessage:
                    Disconnected(peer);
                    break;
                default:
                    _host.ControlMessage(peer, message);
                    break;
            }
        }
        catch (ProtocolException ex)
        {
            _host.Close(peer, ex.Code, ex.Message);
            Disconnected(peer);
        }
    }

    private void OnHello(PeerId peer, PeerState state, HelloMessage hello)
    {
        if (hello.ProtocolVersion != HelloMessage.CurrentProtocolVersion)
        {
            throw new ProtocolException(ProtocolErrorCode.UnsupportedVersion, $"peer speaks message version {hello.ProtocolVersion}, this node {HelloMessage.CurrentProtocolVersion}");
        }

        if (!hello.PublicKey.Span.SequenceEqual(state.PublicKey))
        {
            throw new ProtocolException(ProtocolErrorCode.HandshakeFailed, "Hello names another key than the one the handshake authenticated");
        }

        if (!hello.MeshId.Span.SequenceEqual(_mesh.MeshId.Span))
        {
            throw new ProtocolException(ProtocolErrorCode.IncompatiblePeer, "peer belongs to another mesh");
        }

        if (!hello.BaseModelHash.Span.SequenceEqual(_mesh.BaseModelHash.Span))
        {
            throw new ProtocolException(ProtocolErrorCode.IncompatiblePeer, "peer uses another base model");
        }

        if (!hello.AdapterSchemaHash.Span.SequenceEqual(_mesh.Schema.Hash))
        {
            throw new ProtocolException(ProtocolErrorCode.IncompatiblePeer, "peer uses another adapter schema");
        }

        state.Ready = true;
        _host.PeerReady(peer, hello);

        // Flood: a newcomer learns at once what this node holds (newest per origin), so a late joiner catches up.
        // Neighbours: a newcomer is offered this node's own newest state. Without it a session opened between rounds
        // carried nothing until the next release picked it as a target: after a partition healed, the halves' states
        // crossed only on the few redialled links the next round's fanout happened to draw (netsim partition-heal:
        // within 1 % of the unpartitioned run 7 rounds after the heal). Push on connect is the exchange of a new link
        // in gossip averaging (Boyd et al. 2006).
        if (Relays)
        {
            SendLatest(peer);
        }
        else
        {
            PushOnConnect(peer);
        }
    }

    /// <summary>
    /// Neighbours mode's push on connect (SPEC.md §9.1): the newcomer is offered this node's own newest state unless
    /// it was offered that state (or a newer one) before, in this session or an earlier one, and only while the
    /// release has been pushed on connect fewer than <see cref="GossipOptions.Fanout"/> times. Overlay shuffles open
    /// sessions many times a round: re-offering on each one sent Haves for states the peer held, and pushing on every
    /// one made each release reach fanout + (sessions opened) peers, bytes and verifications growing with the churn
    /// rate instead of with fanout (netsim bench scale, N = 100, fanout 2: 3.12 verified deltas per node-round, 2.62
    /// with the limit; a 24-node mesh at fanout 1: 2.91, 1.35).
    /// </summary>
    private void PushOnConnect(PeerId peer)
    {
        if (OwnLatest() is not { } own)
        {
            return;
        }

        ulong sequence = own.Delta.Manifest.Sequence;
        if (_offers.Offered(peer, sequence) || _offers.ConnectOffers >= _options.Fanout || IgnoredOf?.Invoke(peer) == true)
        {
            // An ignored peer is not offered on connect, so the release's connect offers go to peers whose states
            // this node merges; it is still drawn by the release's own pushes (PushTargets), as often as before.
            return;
        }

        _offers.CountConnectOffer();
        _offers.Record(peer, sequence);
        _host.Send(peer, own.Delta.Have());
    }

    /// <summary>This node's newest stored release (null before its first).</summary>
    private StoredDelta? OwnLatest() => _store.TryGetLatest(_ownOriginHex, out StoredDelta own) ? own : null;

    /// <summary>Announces the newest stored delta of each origin to one peer (catch-up on Hello, and anti-entropy).</summary>
    private void SendLatest(PeerId peer)
    {
        foreach (StoredDelta stored in _store.LatestPerOrigin)
        {
            _host.Send(peer, stored.Delta.Have());
        }
    }

    private void OnHave(PeerId peer, HaveMessage have)
    {
        if (!Relays && !have.Origin.Span.SequenceEqual(_peers[peer].PublicKey))
        {
            // Neighbours mode merges what neighbours sent of their own: a relayed state would be pulled (a whole
            // state's bytes) only to be ignored, and would let one peer make this node's traffic grow with N.
            return;
        }

        string id = ContentHash.Hex(have.ContentId.Span);
        if (_scheduler.IsDone(id) || _store.TryGet(id, out _))
        {
            return;
        }

        // The announcement's origin/sequence are hints; skipping a stale one early saves a round trip. The signed
        // manifest is re-checked on arrival.
        if (_sequences.LastAccepted(have.Origin.Span) is { } last && have.Sequence <= last)
        {
            return;
        }

        _announced.TryAdd(id, have);
        StartPulls(_scheduler.OnAnnounced(id, peer, _time.GetUtcNow()));
        if (!_scheduler.IsKnown(id))
        {
            // Refused by the scheduler (pending table full): remember nothing, or a Have flood would grow memory.
            _announced.Remove(id);
        }
    }

    private void OnWant(PeerId peer, WantMessage want)
    {
        string id = ContentHash.Hex(want.ContentId.Span);
        if (!_store.TryGet(id, out StoredDelta? stored))
        {
            // Evicted since it was announced; the requester's stall timer moves it to another announcer.
            return;
        }

        if (want.WantManifest)
        {
            _host.Send(peer, stored.Delta.Message);
        }

        int served = 0;
        int count = stored.Delta.Manifest.ChunkCount;
        foreach (ChunkRange range in want.Ranges)
        {
            for (ulong i = range.Start; i < range.End && i < (ulong)count && served < _options.MaxChunksPerWant; i++, served++)
            {
                _host.Send(peer, stored.Delta.Chunk(stored.Payload, (int)i));
            }
        }
    }

    private void OnManifest(PeerId peer, DeltaManifestMessage message)
    {
        string id = ContentHash.Hex(ContentHash.Compute(MessageCodec.Encode(message)));
        if (!_transfers.TryGetValue(id, out Transfer? transfer) || transfer.Source != peer)
        {
            // Unsolicited (or from a source we already left): ignored, never trusted.
            return;
        }

        if (transfer.Delta is not null)
        {
            return;
        }

        SignedDelta delta;
        try
        {
            delta = SignedDelta.Verify(message, _mesh, memo: _options.SignatureMemo);
            _sequences.EnsureFresh(delta.Manifest.Origin.Span, delta.Manifest.Sequence);

            // The timestamp is signed but otherwise arbitrary: one dated past year 9999 stopped every round loop that
            // turned it into a time, and every node that verified it announced it on. Bounded here, before anything
            // is stored or re-announced (SPEC.md §5.5 step 6).
            ManifestClock.Check(delta.Manifest.TimestampMs, _time.GetUtcNow(), _options.MaxDeltaAge);
        }
        catch (ProtocolException ex)
        {
            // The content id is the hash of these exact bytes, so the delta itself is bad, whoever relays it.
            Reject(peer, id, ex);
            ReportError(peer, id, ex);
            return;
        }

        transfer.Delta = delta;
        transfer.Assembler = new DeltaAssembler(delta);
        _placements.Set(id, transfer.Assembler, peer);
        transfer.Requested = new bool[delta.Manifest.ChunkCount];

        // The first window went out with the manifest request, sized from the Have hint. Those chunks are on their
        // way from this source: mark them requested so they are not asked for twice, and count as outstanding only
        // those that exist (a hint larger than the manifest's chunk count asked for chunks that will never come).
        int prefetched = Math.Min(transfer.PrefetchedFirstWindow, transfer.Requested.Length);
        transfer.Requested.AsSpan(0, prefetched).Fill(true);
        transfer.Outstanding = prefetched;
        RequestMore(transfer, wantManifest: false);
    }

    private void OnChunk(PeerId peer, DeltaChunkMessage chunk)
    {
        string id = ContentHash.Hex(chunk.ContentId.Span);
        if (!_transfers.TryGetValue(id, out Transfer? transfer) || transfer.Assembler is null)
        {
            return;
        }

        ChunkOutcome outcome;
        try
        {
            outcome = transfer.Assembler.Accept(chunk);
        }
        catch (ProtocolException ex)
        {
            // A bad chunk is the sender's fault (the manifest fixed every hash): drop that source, keep what verified.
            _host.DeltaRejected(peer, id, ex.Code, ex.Message);
            ReportError(peer, id, ex);
            StartPulls(_scheduler.OnSourceFailed(id, peer, _time.GetUtcNow()));
            DropAbandoned();
            return;
        }

        if (outcome == ChunkOutcome.Accepted)
        {
            _scheduler.OnProgress(id, _time.GetUtcNow());
            if (transfer.Assembler.IsComplete)
            {
                Complete(peer, transfer);
                return;
            }
        }

        // Only the current source's chunks (new or duplicate) answer what was asked of it; a late chunk from a
        // source left behind is kept if new but must not open the window of the current one.
        if (transfer.Source != peer)
        {
            return;
        }

        transfer.Outstanding = Math.Max(0, transfer.Outstanding - 1);
        if (transfer.Outstanding <= _options.MaxChunksPerWant / 2)
        {
            RequestMore(transfer, wantManifest: false);
        }
    }

    /// <summary>A connection whose peer sent no Hello within <see cref="GossipOptions.HelloTimeout"/> is closed: it
    /// would otherwise hold a slot forever and, being never ready, receive no announcements.</summary>
    private void CloseSilentNewcomers(DateTimeOffset now)
    {
        // Every tick, and almost always none: a list only when there is one (no iterator chain and closure per tick).
        List<PeerId>? silent = null;
        foreach ((PeerId peer, PeerState state) in _peers)
        {
            if (!state.Ready && now - state.ConnectedAt >= _options.HelloTimeout)
            {
                (silent ??= []).Add(peer);
            }
        }

        foreach (PeerId peer in silent ?? [])
        {
            _host.Close(peer, ProtocolErrorCode.Timeout, $"no Hello within {_options.HelloTimeout.TotalSeconds:0.#} s");
            Disconnected(peer);
        }
    }

    /// <summary>
    /// Forgets transfers and announcements the scheduler gave up (no announcer left, attempts exhausted): their
    /// partial buffers (up to 64 MiB each) must not outlive them. A later Have starts the delta afresh.
    /// </summary>
    private void DropAbandoned()
    {
        // After every finished pull and lost peer: lists only when something is to go (the usual case is nothing).
        List<string>? abandoned = null;
        foreach (string id in _transfers.Keys)
        {
            if (!_scheduler.IsPulling(id))
            {
                (abandoned ??= []).Add(id);
            }
        }

        foreach (string id in abandoned ?? [])
        {
            RemoveTransfer(id);
        }

        // Removing while enumerating a Dictionary is allowed (Remove does not invalidate its enumerator), in the
        // same order as the copied list of keys this replaces.
        foreach (string id in _announced.Keys)
        {
            if (!_scheduler.IsKnown(id))
            {
                _announced.Remove(id);
            }
        }
    }

    private void Complete(PeerId from, Transfer transfer)
    {
        SignedDelta delta = transfer.Delta!;
        RemoveTransfer(transfer.Id);
        _placements.Completed(transfer.Assembler!);
        _announced.Remove(transfer.Id);
        try
        {
            _sequences.Commit(delta.Manifest.Origin.Span, delta.Manifest.Sequence);
        }
        catch (ProtocolException ex)
        {
            Reject(from, transfer.Id, ex);
            return;
        }

        var stored = new StoredDelta(delta, transfer.Assembler!.Payload, _time.GetUtcNow());
        if (Relays)
        {
            // Neighbours mode keeps only this node's own releases: another origin's state is never announced on,
            // served or sent as anti-entropy there (peers pull a state only from its origin), and a repeated
            // announcement of it is passed over by its sequence (OnHave). Keeping it cost up to MaxStoredDeltas
            // whole states of memory (256 × a real adapter; ≈ 400 kB a node of a 4,096-node netsim run) for nothing.
            _store.Add(stored);
        }

        StartPulls(_scheduler.OnFinished(transfer.Id, _time.GetUtcNow()));
        _host.DeltaVerified(stored, from);
        if (Relays)
        {
            Announce(stored, except: from);
        }
    }

    /// <summary>Forgets a transfer and withdraws its assembler from the read loops.</summary>
    private void RemoveTransfer(string id)
    {
        _transfers.Remove(id);
        _placements.Remove(id);
    }

    private void Reject(PeerId from, string id, ProtocolException ex)
    {
        RemoveTransfer(id);
        _announced.Remove(id);
        _host.DeltaRejected(from, id, ex.Code, ex.Message);
        StartPulls(_scheduler.OnFinished(id, _time.GetUtcNow()));
    }

    /// <summary>
    /// Tells the peer that bytes it served for <paramref name="id"/> failed verification (SPEC.md §4.9, §9.4): an
    /// Error, which keeps the connection. An honest relay learns that it holds or forwards a bad delta; the pull has
    /// already moved on.
    /// </summary>
    private void ReportError(PeerId peer, string id, ProtocolException ex) =>
        _host.Send(peer, new ErrorMessage(ex.Code, ReasonMessage.OneLine($"delta {id}: {ex.Message}")));

    private void StartPulls(IReadOnlyList<PullRequest> requests)
    {
        foreach (PullRequest request in requests)
        {
            if (!_transfers.TryGetValue(request.ContentId, out Transfer? transfer))
            {
                transfer = new Transfer(request.ContentId);
                _transfers.Add(request.ContentId, transfer);
            }

            transfer.Source = request.Peer;
            if (transfer.Assembler is { } assembler)
            {
                // Only the current source places chunks (ChunkPlacements): the new one from now on.
                _placements.Set(request.ContentId, assembler, request.Peer);
            }

            transfer.Outstanding = 0;
            if (transfer.Requested is not null)
            {
                // Resuming elsewhere: chunks asked of the old source but not received are asked again.
                Array.Clear(transfer.Requested);
            }

            RequestMore(transfer, wantManifest: transfer.Delta is null);
        }
    }

    /// <summary>
    /// Receiver-driven flow control: at most <see cref="GossipOptions.MaxChunksPerWant"/> chunks are outstanding per
    /// transfer, and the next window is asked for when half has arrived, so a slow source is never flooded and a fast
    /// one is never idle for a round trip.
    /// </summary>
    private void RequestMore(Transfer transfer, bool wantManifest)
    {
        var ranges = new List<ChunkRange>();
        int budget = _options.MaxChunksPerWant - transfer.Outstanding;
        if (transfer.Assembler is { } assembler && transfer.Requested is { } requested)
        {
            for (int i = 0; i < requested.Length && budget > 0; i++)
            {
                if (requested[i] || assembler.Has(i))
                {
                    continue;
                }

                int start = i;
                while (i < requested.Length && budget > 0 && !requested[i] && !assembler.Has(i))
                {
                    requested[i] = true;
                    budget--;
                    i++;
                }

                ranges.Add(new ChunkRange((uint)start, (uint)(i - start)));
                if (ranges.Count >= MessageLimits.MaxWantRanges)
                {
                    break;
                }
            }
        }
        else if (wantManifest && _announced.TryGetValue(transfer.Id, out HaveMessage? have))
        {
            // First request: the manifest plus the first window, sized from the announcement's hint (the manifest
            // is the authority; chunks beyond it are simply refused by the assembler).
            uint count = (uint)Math.Min(have.ChunkCount, (uint)budget);
            ranges.Add(new ChunkRange(0, count));
            transfer.PrefetchedFirstWindow = (int)count;
        }

        if (!wantManifest && ranges.Count == 0)
        {
            return;
        }

        int asked = ranges.Sum(r => (int)r.Count);
        transfer.Outstanding += asked;
        _host.Send(transfer.Source!.Value, new WantMessage(Convert.FromHexString(transfer.Id), wantManifest, ranges));
    }

    /// <summary>Flood mode: verified states of other origins are announced on (and anti-entropy runs).</summary>
    private bool Relays => _options.Mode == GossipMode.Flood;

    private void Announce(StoredDelta stored, PeerId? except)
    {
        HaveMessage have = stored.Delta.Have();
        foreach (PeerId peer in Targets(except))
        {
            if (!Relays)
            {
                _offers.Record(peer, stored.Delta.Manifest.Sequence);
            }

            _host.Send(peer, have);
        }
    }

    /// <summary>
    /// The peers a release is announced to: <see cref="GossipOptions.Fanout"/> ready peers at random; in neighbours
    /// mode with <see cref="GossipOptions.FanoutPastIgnored"/>, peers this node ignores are pushed to when drawn but
    /// not counted (<see cref="PushTargets"/>).
    /// </summary>
    private IEnumerable<PeerId> Targets(PeerId? except)
    {
        // The ready peers but except, in the peer table's order (what ReadyPeers.Where(p => p != except) gave), without
        // an iterator chain and a closure per release.
        int count = 0;
        foreach ((PeerId peer, PeerState state) in _peers)
        {
            count += state.Ready && peer != except ? 1 : 0;
        }

        var ready = new PeerId[count];
        int next = 0;
        foreach ((PeerId peer, PeerState state) in _peers)
        {
            if (state.Ready && peer != except)
            {
                ready[next++] = peer;
            }
        }

        _random.Shuffle(ready);
        return IgnoredOf is { } ignored ? PushTargets.Choose(ready, ignored, _options.Fanout) : ready.Take(_options.Fanout);
    }

    /// <summary>Which peers reputation makes this node ignore, when neighbours-mode pushes take it into account
    /// (<see cref="GossipOptions.FanoutPastIgnored"/>); null otherwise.</summary>
    private Func<PeerId, bool>? IgnoredOf => !Relays && _options.FanoutPastIgnored ? _ignored : null;

    private sealed class PeerState(byte[] publicKey, DateTimeOffset connectedAt)
    {
        public byte[] PublicKey { get; } = publicKey;

        public DateTimeOffset ConnectedAt { get; } = connectedAt;

        public bool Ready { get; set; }
    }

    private sealed class Transfer(string id)
    {
        public string Id { get; } = id;

        public PeerId? Source { get; set; }

        public SignedDelta? Delta { get; set; }

        public DeltaAssembler? Assembler { get; set; }

        public bool[]? Requested { get; set; }

        public int Outstanding { get; set; }

        public int PrefetchedFirstWindow { get; set; }
    }
}
