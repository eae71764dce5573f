using FedMesh.Node.Gossip;
using FedMesh.Protocol;
using FedMesh.Protocol.Deltas;
using FedMesh.Protocol.Identity;
using FedMesh.Protocol.Messages;
using Microsoft.Extensions.Time.Testing;
using NSec.Cryptography;

namespace FedMesh.Node.Tests.Gossip;

/// <summary>
/// A deterministic in-memory network of gossip engines: one <see cref="IGossipHost"/> per node, a FIFO queue per
/// directed link, and a seeded scheduler that picks which non-empty link delivers next. Every message can go through
/// <see cref="MessageCodec"/> (encode, count bytes, decode) so the codec is exercised and wire bytes are measured.
/// Time is a <see cref="FakeTimeProvider"/> shared by all nodes; nothing sleeps.
/// </summary>
internal sealed class GossipNetwork
{
    private readonly Random _delivery;
    private readonly List<(int From, int To)> _linkOrder = [];
    private readonly Dictionary<(int From, int To), Queue<WireMessage>> _links = [];

    /// <param name="ignored">Whom each node's reputation ignores (observer index, peer), for neighbours-mode push
    /// targets; null: nobody.</param>
    public GossipNetwork(int nodes, int seed = 1, GossipOptions? options = null, bool encode = true, GossipFixture? fixture = null, Func<int, PeerId, bool>? ignored = null)
    {
        _delivery = new Random(seed);
        Encode = encode;
        Fixture = fixture ?? GossipFixture.Small;
        for (int i = 0; i < nodes; i++)
        {
            Nodes.Add(new GossipTestNode(this, i, options ?? Flood, seed, ignored));
        }
    }

    /// <summary>The engine's options in flood mode: most tests here check epidemic relay (every node gets every delta).</summary>
    public static GossipOptions Flood { get; } = GossipOptions.Default with { Mode = GossipMode.Flood };

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    public GossipFixture Fixture { get; }

    public List<GossipTestNode> Nodes { get; } = [];

    /// <summary>Encode/decode every message through the codec (and count wire bytes).</summary>
    public bool Encode { get; }

    /// <summary>Encoded message-body bytes delivered (only when <see cref="Encode"/>).</summary>
    public long WireBytes { get; private set; }

    /// <summary>DeltaChunk data bytes delivered to receivers.</summary>
    public long ChunkBytes { get; private set; }

    /// <summary>Messages delivered.</summary>
    public long Delivered { get; private set; }

    /// <summary>Rewrites (or drops, by returning null) a message on its way from one node to another.</summary>
    public Func<int, int, WireMessage, WireMessage?>? Interceptor { get; set; }

    /// <summary>Nodes whose outgoing messages vanish (a source that stops answering).</summary>
    public HashSet<int> Silenced { get; } = [];

    /// <summary>Nodes whose outgoing messages are held back until <see cref="Release"/> (a source that is slow, not
    /// gone: its answers arrive late).</summary>
    public HashSet<int> Held { get; } = [];

    private readonly List<(int From, int To, WireMessage Message)> _held = [];

    private readonly Dictionary<(int From, int To), long> _chunksOnLink = [];

    /// <summary>DeltaChunk messages delivered from one node to another.</summary>
    public long ChunksOn(int from, int to) => _chunksOnLink.GetValueOrDefault((from, to));

    /// <summary>Stops holding <paramref name="node"/>'s messages and queues what was held on links still open.</summary>
    public void Release(int node)
    {
        Held.Remove(node);
        foreach ((int from, int to, WireMessage message) in _held.Where(h => h.From == node).ToArray())
        {
            if (_links.TryGetValue((from, to), out Queue<WireMessage>? queue))
            {
                queue.Enqueue(message);
            }
        }

        _held.RemoveAll(h => h.From == node);
    }

    public GossipTestNode this[int i] => Nodes[i];

    public bool IsConnected(int a, int b) => _links.ContainsKey((a, b));

    /// <summary>Opens an authenticated connection: each side learns the other's (true) key and sends its Hello.</summary>
    public void Connect(int a, int b)
    {
        if (a == b || IsConnected(a, b))
        {
            return;
        }

        AddLink(a, b);
        AddLink(b, a);
        Nodes[a].Engine.Connected(Nodes[b].Peer, Nodes[b].PublicKey);
        Nodes[b].Engine.Connected(Nodes[a].Peer, Nodes[a].PublicKey);
    }

    /// <summary>Closes a connection; both engines are told and queued messages are lost.</summary>
    public void Disconnect(int a, int b)
    {
        if (!IsConnected(a, b))
        {
            return;
        }

        RemoveLink(a, b);
        RemoveLink(b, a);
        Nodes[a].Engine.Disconnected(Nodes[b].Peer);
        Nodes[b].Engine.Disconnected(Nodes[a].Peer);
    }

    public void ConnectAll(IEnumerable<(int A, int B)> edges)
    {
        foreach ((int a, int b) in edges)
        {
            Connect(a, b);
        }
    }

    public void ResetCounters()
    {
        WireBytes = 0;
        ChunkBytes = 0;
        Delivered = 0;
    }

    /// <summary>Runs after every delivered message (outside any engine call, so it may connect or disconnect).</summary>
    public Action? AfterDelivery { get; set; }

    /// <summary>Delivers queued messages (seeded choice among non-empty links) until none is left.</summary>
    public void Run(int maxMessages = 1_000_000)
    {
        if (!RunUntil(() => false, maxMessages))
        {
            throw new InvalidOperationException($"network still busy after {maxMessages} messages");
        }
    }

    /// <summary>Delivers until <paramref name="stop"/> holds or nothing is queued; false if the message budget
    /// ran out first.</summary>
    public bool RunUntil(Func<bool> stop, int maxMessages = 1_000_000)
    {
        var ready = new List<(int, int)>();
        for (int n = 0; n < maxMessages; n++)
        {
            ready.Clear();
            foreach ((int, int) link in _linkOrder)
            {
                if (_links[link].Count > 0)
                {
                    ready.Add(link);
                }
            }

            if (stop() || ready.Count == 0)
            {
                return true;
            }

            (int from, int to) = ready[_delivery.Next(ready.Count)];
            Deliver(from, to, _links[(from, to)].Dequeue());
            AfterDelivery?.Invoke();
        }

        return stop();
    }

    /// <summary>Advances the shared clock and ticks every node.</summary>
    public void Advance(TimeSpan by)
    {
        Time.Advance(by);
        foreach (GossipTestNode node in Nodes)
        {
            node.Engine.Tick();
        }
    }

    /// <summary>Called by a node's host: queues a message on the link, if it is open.</summary>
    internal void Send(int from, PeerId to, WireMessage message)
    {
        int target = IndexOf(to);
        if (Silenced.Contains(from) || !_links.TryGetValue((from, target), out Queue<WireMessage>? queue))
        {
            return;
        }

        if ((Interceptor is null ? message : Interceptor(from, target, message)) is not { } sent)
        {
            return;
        }

        WireMessage wire = Encode ? RoundTrip(sent) : sent;
        if (Held.Contains(from))
        {
            _held.Add((from, target, wire));
            return;
        }

        queue.Enqueue(wire);
    }

    /// <summary>Called by a node's host when its engine closes a connection: the other side sees it drop.</summary>
    internal void Closed(int by, PeerId other)
    {
        int target = IndexOf(other);
        if (IsConnected(by, target))
        {
            RemoveLink(by, target);
            RemoveLink(target, by);
            Nodes[target].Engine.Disconnected(Nodes[by].Peer);
        }
    }

    internal int IndexOf(PeerId peer) => Nodes.FindIndex(n => n.Peer == peer);

    private WireMessage RoundTrip(WireMessage message)
    {
        byte[] body = MessageCodec.Encode(message);
        WireBytes += body.Length;
        return MessageCodec.Decode(message.Type, body);
    }

    private void Deliver(int from, int to, WireMessage message)
    {
        Delivered++;
        if (message is DeltaChunkMessage chunk)
        {
            ChunkBytes += chunk.Data.Length;
            Nodes[to].ChunksReceived++;
            _chunksOnLink[(from, to)] = ChunksOn(from, to) + 1;
        }

        Nodes[to].Engine.Receive(Nodes[from].Peer, message);
    }

    private void AddLink(int from, int to)
    {
        _links.Add((from, to), new Queue<WireMessage>());
        _linkOrder.Add((from, to));
    }

    private void RemoveLink(int from, int to)
    {
        _links.Remove((from, to));
        _linkOrder.Remove((from, to));
    }
}

/// <summary>One node of a <see cref="GossipNetwork"/>: its identity, engine, and what its host was told.</summary>
internal sealed class GossipTestNode : IGossipHost
{
    private readonly GossipNetwork _network;
    private ulong _sequence;

    public GossipTestNode(GossipNetwork network, int index, GossipOptions options, int seed, Func<int, PeerId, bool>? ignored = null)
    {
        _network = network;
        Index = index;
        Key = GossipFixture.KeyFromSeed((byte)(1 + index));
        PublicKey = Key.PublicKey.Export(KeyBlobFormat.RawPublicKey);
        Peer = PeerId.FromPublicKey(PublicKey);
        Engine = new GossipEngine(network.Fixture.Local, network.Fixture.Hello(PublicKey), options, Sequences, network.Time, new Random((seed * 7919) + index), this,
            ignored is null ? null : peer => ignored(index, peer));
    }

    public int Index { get; }

    public Key Key { get; }

    public byte[] PublicKey { get; }

    public PeerId Peer { get; }

    public SequenceTracker Sequences { get; } = new();

    public GossipEngine Engine { get; }

    public List<StoredDelta> Verified { get; } = [];

    public List<(PeerId From, string? ContentId, ProtocolErrorCode Code)> Rejected { get; } = [];

    public List<(PeerId Peer, ProtocolErrorCode Code, string Reason)> Closes { get; } = [];

    public List<PeerId> Ready { get; } = [];

    public List<WireMessage> Control { get; } = [];

    /// <summary>Messages this node's engine sent, in order (all links).</summary>
    public List<(PeerId To, WireMessage Message)> Sent { get; } = [];

    public long ChunksReceived { get; set; }

    /// <summary>Whether this node received <paramref name="delta"/> verified: stored (flood mode keeps what it relays),
    /// or handed to the round (neighbours mode stores only its own releases).</summary>
    public bool Holds(StoredDelta delta) =>
        Engine.Store.TryGet(delta.ContentIdHex, out _) || Verified.Exists(v => v.ContentIdHex == delta.ContentIdHex);

    /// <summary>Signs and publishes a new delta of this node (next sequence).</summary>
    public StoredDelta Publish(int chunkSize, int seed = 1)
    {
        (SignedDelta delta, byte[] payload) = _network.Fixture.Sign(Key, ++_sequence, chunkSize, seed);
        return Engine.Publish(delta, payload);
    }

    public void Send(PeerId peer, WireMessage message)
    {
        Sent.Add((peer, message));
        _network.Send(Index, peer, message);
    }

    public void Close(PeerId peer, ProtocolErrorCode code, string reason)
    {
        Closes.Add((peer, code, reason));
        _network.Closed(Index, peer);
    }

    public void PeerReady(PeerId peer, HelloMessage hello) => Ready.Add(peer);

    public void DeltaVerified(StoredDelta delta, PeerId from) => Verified.Add(delta);

    public void DeltaRejected(PeerId from, string? contentIdHex, ProtocolErrorCode code, string reason) =>
        Rejected.Add((from, contentIdHex, code));

    public void ControlMessage(PeerId peer, WireMessage message) => Control.Add(message);
}

/// <summary>The mesh every test node shares: ids, a schema, Hellos and signed deltas from seeded values.</summary>
internal sealed class GossipFixture
{
    /// <summary>1792 fp32 elements = 7168 bytes (14 chunks of 512).</summary>
    public static readonly GossipFixture Small = new(new AdapterSchema([
        new TensorInfo("layers.0.attn.q.lora_a", [8, 64]),
        new TensorInfo("layers.0.attn.q.lora_b", [64, 8]),
        new TensorInfo("layers.1.mlp.up.lora_a", [8, 96]),
    ]));

    /// <summary>9216 fp32 elements = 36864 bytes: with chunk size 6703, 5.5 chunks (5 full + one of 3349 bytes), large
    /// enough that control traffic (Have, Want, manifest) is a small share of the wire bytes.</summary>
    public static readonly GossipFixture Large = new(new AdapterSchema([
        new TensorInfo("layers.0.attn.q.lora_a", [64, 128]),
        new TensorInfo("layers.0.attn.q.lora_b", [16, 64]),
    ]));

    public GossipFixture(AdapterSchema schema) => Schema = schema;

    public static byte[] MeshId { get; } = Enumerable.Repeat((byte)0x11, 32).ToArray();

    public static byte[] BaseModelHash { get; } = Enumerable.Repeat((byte)0x22, 32).ToArray();

    public AdapterSchema Schema { get; }

    public LocalMesh Local => new(MeshId, BaseModelHash, Schema);

    public int PayloadBytes => (int)Schema.TotalElements * sizeof(float);

    /// <summary>An Ed25519 key from a 32-byte seed (deterministic: RFC 8032 derives the key pair from the seed).</summary>
    public static Key KeyFromSeed(byte first)
    {
        byte[] seed = Enumerable.Range(first * 3, 32).Select(i => (byte)i).ToArray();
        return Key.Import(SignatureAlgorithm.Ed25519, seed, KeyBlobFormat.RawPrivateKey,
            new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport });
    }

    public HelloMessage Hello(ReadOnlyMemory<byte> publicKey) => new()
    {
        PublicKey = publicKey,
        MeshId = MeshId,
        BaseModelHash = BaseModelHash,
        AdapterSchemaHash = Schema.Hash,
        SoftwareVersion = "fedmesh-test",
    };

    public (SignedDelta Delta, byte[] Payload) Sign(Key key, ulong sequence, int chunkSize, int seed = 1, byte[]? meshId = null)
    {
        var rng = new Random(seed);
        float[] flat = new float[Schema.TotalElements];
        for (int i = 0; i < flat.Length; i++)
        {
            flat[i] = (float)((rng.NextDouble() * 2) - 1) * 0.05f;
        }

        EncodedDelta encoded = DeltaEncoder.EncodeFlat(Schema, flat, TensorEncoding.Float32);
        var header = new DeltaHeader
        {
            MeshId = meshId ?? MeshId,
            BaseModelHash = BaseModelHash,
            Schema = Schema,
            Sequence = sequence,
            Timestamp = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero),
            Privacy = new DpParameters(1.0, 0.8, 0.01),
            ChunkSize = chunkSize,
        };
        return (SignedDelta.Create(key, header, encoded), encoded.Payload.ToArray());
    }
}

/// <summary>A peer outside the network (an attacker or a hand-driven relay) whose messages a test writes itself.
/// What a node sends it is recorded in the node's <see cref="GossipTestNode.Sent"/> and goes nowhere.</summary>
internal sealed class FakePeer
{
    public FakePeer(byte seed)
    {
        Key = GossipFixture.KeyFromSeed(seed);
        PublicKey = Key.PublicKey.Export(KeyBlobFormat.RawPublicKey);
        Peer = PeerId.FromPublicKey(PublicKey);
    }

    public Key Key { get; }

    public byte[] PublicKey { get; }

    public PeerId Peer { get; }

    /// <summary>Connects to <paramref name="node"/> and completes the Hello exchange.</summary>
    public void Join(GossipTestNode node, GossipFixture fixture)
    {
        node.Engine.Connected(Peer, PublicKey);
        node.Engine.Receive(Peer, fixture.Hello(PublicKey));
    }

    /// <summary>Wants the node sent this peer so far.</summary>
    public int WantsFrom(GossipTestNode node) => node.Sent.Count(s => s.To == Peer && s.Message is WantMessage);
}

/// <summary>Edge lists of the topologies the dissemination tests run on.</summary>
internal static class Topology
{
    public static IEnumerable<(int, int)> Full(int n) =>
        from a in Enumerable.Range(0, n) from b in Enumerable.Range(a + 1, n - a - 1) select (a, b);

    public static IEnumerable<(int, int)> Line(int n) => Enumerable.Range(0, n - 1).Select(i => (i, i + 1));

    /// <summary>A random connected graph: a random spanning tree plus <paramref name="extra"/> random edges.</summary>
    public static IEnumerable<(int, int)> Random(int n, int seed, int extra)
    {
        var rng = new Random(seed);
        var edges = new HashSet<(int, int)>();
        for (int i = 1; i < n; i++)
        {
            int j = rng.Next(i);
            edges.Add((j, i));
        }

        for (int k = 0; k < extra; k++)
        {
            int a = rng.Next(n), b = rng.Next(n);
            if (a != b)
            {
                edges.Add((Math.Min(a, b), Math.Max(a, b)));
            }
        }

        return edges.OrderBy(e => e);
    }
}
