using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Threading.Channels;
using FedMesh.Node.Gossip;
using FedMesh.Node.Hosting;
using FedMesh.Node.Transport;
using FedMesh.Protocol.Deltas;
using FedMesh.Protocol.Identity;
using FedMesh.Protocol.Messages;
using FedMesh.Protocol.Security;
using FedMesh.Protocol.Transport;
using FedMesh.Protocol.Wire;
using Microsoft.Extensions.Logging.Abstractions;

namespace FedMesh.Node.Tests.Hosting;

/// <summary>
/// The daemon's receive path with placed chunks: a real node (ConnectionManager, GossipActor, GossipEngine) on an
/// in-memory network, fed a multi-chunk delta by hand-driven peers over real secure connections. The node's read
/// loops decrypt the source's chunks straight into the engine's assembler; everything else takes the pooled path.
/// </summary>
public sealed class PlacedChunkWiringTests : IAsyncDisposable
{
    private const string MeshName = "placed-chunk-test";

    /// <summary>2 MiB in 256 KiB chunks: eight chunks, each far above the opener's prefix.</summary>
    private const int ChunkSize = 256 * 1024;

    private static readonly AdapterSchema Schema = new([new TensorInfo("w", [512 * 1024])]);
    private static readonly IPAddress NodeAddress = IPAddress.Parse("10.0.0.1");
    private readonly CancellationTokenSource _guard = new(TimeSpan.FromSeconds(60));
    private readonly InMemoryNetwork _network = new();
    private readonly NodeIdentity _nodeId = NodeIdentity.Create();
    private readonly List<IAsyncDisposable> _owned = [];

    private CancellationToken Guard => _guard.Token;

    public async ValueTask DisposeAsync()
    {
        for (int i = _owned.Count - 1; i >= 0; i--)
        {
            await _owned[i].DisposeAsync();
        }

        _nodeId.Dispose();
        _guard.Dispose();
    }

    private static bool Places => (CipherSuites.Supported & CipherSuite.Aegis256) != 0;

    [SkippableFact]
    public async Task The_sources_chunks_are_placed_into_the_engines_assembler_and_others_go_the_pooled_path()
    {
        Skip.IfNot(Places, "placed chunks need AEGIS-256 (hardware AES)");
        (NodeRuntime node, Task<StoredDelta> arrived) = await StartNodeAsync();
        using NodeIdentity originId = NodeIdentity.Create();
        using NodeIdentity otherId = NodeIdentity.Create();
        Peer source = await ConnectAsync(node, originId, "10.0.0.2");
        Peer other = await ConnectAsync(node, otherId, "10.0.0.3");
        (SignedDelta delta, byte[] payload) = Sign(originId, sequence: 1);
        (SignedDelta unknown, byte[] unknownPayload) = Sign(originId, sequence: 7, seed: 2);

        DeltaAssembler assembler = await AnnounceAndSendManifestAsync(node, source, delta);

        // Not the source: its copy of chunk 0 arrives in a buffer, and the engine keeps it (a chunk is a chunk).
        await other.Connection.SendAsync(delta.Chunk(payload, 0), Guard);
        await WaitUntilAsync(() => assembler.ReceivedCount == 1, "the other peer's chunk 0 accepted");

        // A chunk of a delta the node never heard of: pooled path, ignored, the connection stays up.
        await source.Connection.SendAsync(unknown.Chunk(unknownPayload, 0), Guard);
        for (int i = 1; i < delta.Manifest.ChunkCount; i++)
        {
            await source.Connection.SendAsync(delta.Chunk(payload, i), Guard);
        }

        StoredDelta stored = await arrived.WaitAsync(Guard);
        Assert.Equal(payload, stored.Payload.ToArray());
        Assert.Equal(delta.Manifest.ChunkCount - 1, assembler.PlacedCount);
        Assert.Equal(0, node.ChunkPlacements.Count);
        Assert.False(source.Connection.IsClosed);
    }

    [SkippableFact]
    public async Task A_chunk_frame_that_fails_authentication_frees_its_slot_for_the_next_source()
    {
        Skip.IfNot(Places, "placed chunks need AEGIS-256 (hardware AES)");
        (NodeRuntime node, Task<StoredDelta> arrived) = await StartNodeAsync();
        using NodeIdentity originId = NodeIdentity.Create();
        using NodeIdentity relayId = NodeIdentity.Create();

        // The source's fourth chunk frame is corrupted on the wire (its tag), after three good ones.
        Peer source = await ConnectAsync(node, originId, "10.0.0.2", tamperChunkFrame: 4);
        Peer relay = await ConnectAsync(node, relayId, "10.0.0.3");
        (SignedDelta delta, byte[] payload) = Sign(originId, sequence: 1);
        DeltaAssembler assembler = await AnnounceAndSendManifestAsync(node, source, delta);
        await relay.Connection.SendAsync(delta.Have(), Guard);

        for (int i = 0; i < 4; i++)
        {
            await source.Connection.SendAsync(delta.Chunk(payload, i), Guard);
        }

        await source.Connection.Completion.WaitAsync(Guard);

        // The pull moves to the other announcer, which is asked for the rest, chunk 3 included: had the failed
        // frame kept chunk 3's slot, the relay's copy would be a duplicate forever and the delta never complete.
        WantMessage want = await relay.NextAsync<WantMessage>(Guard);
        Assert.Equal(new ChunkRange(3, (uint)delta.Manifest.ChunkCount - 3), Assert.Single(want.Ranges));
        Assert.Equal(3, assembler.ReceivedCount);
        for (int i = 3; i < delta.Manifest.ChunkCount; i++)
        {
            await relay.Connection.SendAsync(delta.Chunk(payload, i), Guard);
        }

        StoredDelta stored = await arrived.WaitAsync(Guard);
        Assert.Equal(payload, stored.Payload.ToArray());
        Assert.Equal(delta.Manifest.ChunkCount, assembler.PlacedCount);
        Assert.Equal(0, node.ChunkPlacements.Count);
    }

    /// <summary>The source announces the delta, answers the node's Want with the manifest, and waits until the engine
    /// has published the delta's assembler for read loops (chunks sent before that arrive pooled).</summary>
    private async Task<DeltaAssembler> AnnounceAndSendManifestAsync(NodeRuntime node, Peer source, SignedDelta delta)
    {
        await source.Connection.SendAsync(delta.Have(), Guard);
        Assert.True((await source.NextAsync<WantMessage>(Guard)).WantManifest);
        await source.Connection.SendAsync(delta.Message, Guard);
        DeltaAssembler? assembler = null;
        await WaitUntilAsync(() => (assembler = node.ChunkPlacements.Find(source.Id, delta.ContentId)) is not null, "the assembler published");
        return assembler!;
    }

    private async Task<(NodeRuntime Node, Task<StoredDelta> Arrived)> StartNodeAsync()
    {
        var parts = new NodeParts
        {
            PlaceChunks = true,
            Identity = _nodeId,
            Mesh = new LocalMesh(NodeRuntime.MeshIdFor(MeshName), new byte[32], Schema),
            MeshName = MeshName,
            Listen = new IPEndPoint(NodeAddress, 0),
            Transport = _network.Host(NodeAddress),

            // Flood: a relay's announcement of another origin's delta counts (the second test's fallback source).
            Gossip = GossipOptions.Default with { Mode = GossipMode.Flood },
        };
        var node = new NodeRuntime(parts, NullLoggerFactory.Instance);
        _owned.Add(node);
        var arrived = new TaskCompletionSource<StoredDelta>(TaskCreationOptions.RunContinuationsAsynchronously);
        node.DeltaArrived += (stored, _) => arrived.TrySetResult(stored);
        await node.StartAsync(Guard);
        return (node, arrived.Task);
    }

    private async Task<Peer> ConnectAsync(NodeRuntime node, NodeIdentity id, string address, int tamperChunkFrame = 0)
    {
        TransportConnection transport = await _network.Host(IPAddress.Parse(address)).ConnectAsync(node.ListenEndPoint!, Guard);
        _owned.Add(transport);
        IDuplexPipe pipe = tamperChunkFrame > 0 ? new TamperingPipe(transport.Pipe, tamperChunkFrame) : transport.Pipe;
        var options = ConnectionOptions.Default with { Handshake = HandshakeOptions.Default with { MeshId = MeshName } };
        SecureConnection connection = await SecureConnection.ConnectAsync(pipe, id, options, cancellationToken: Guard);
        _owned.Add(connection);
        Assert.Equal(CipherSuite.Aegis256, connection.Session.Suite);
        var peer = new Peer(id.PeerId, connection);
        Assert.IsType<HelloMessage>(await peer.NextAsync<HelloMessage>(Guard));
        await connection.SendAsync(new HelloMessage
        {
            PublicKey = id.PublicKey.ToArray(),
            MeshId = NodeRuntime.MeshIdFor(MeshName),
            BaseModelHash = new byte[32],
            AdapterSchemaHash = Schema.Hash,
            SoftwareVersion = "placed-chunk-test",
        }, Guard);
        return peer;
    }

    private static (SignedDelta Delta, byte[] Payload) Sign(NodeIdentity origin, ulong sequence, int seed = 1) =>
        TestDeltas.Sign(origin, MeshName, Schema, sequence, seed, TensorEncoding.Float32, ChunkSize);

    private async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        while (!condition())
        {
            Assert.False(Guard.IsCancellationRequested, $"timed out waiting for {what}");
            await Task.Delay(10, CancellationToken.None);
        }
    }

    /// <summary>A hand-driven peer: reads the node's messages, skipping those a test does not wait for.</summary>
    private sealed record Peer(PeerId Id, SecureConnection Connection)
    {
        public async Task<T> NextAsync<T>(CancellationToken cancel)
            where T : WireMessage
        {
            while (true)
            {
                using ReceivedFrame frame = await Connection.Incoming.ReadAsync(cancel);
                if (MessageCodec.Decode(frame.Type, frame.Body) is T message)
                {
                    return message;
                }
            }
        }
    }

    /// <summary>
    /// The peer's side of the wire: passes frames through whole, except that the <c>n</c>-th DeltaChunk frame gets its
    /// last byte (in its tag) flipped, as a corrupting network would.
    /// </summary>
    private sealed class TamperingPipe : IDuplexPipe
    {
        private readonly Pipe _outgoing = new();

        public TamperingPipe(IDuplexPipe inner, int n)
        {
            Input = inner.Input;
            _ = RelayAsync(inner.Output, n);
        }

        public PipeReader Input { get; }

        public PipeWriter Output => _outgoing.Writer;

        private async Task RelayAsync(PipeWriter output, int n)
        {
            int chunks = 0;
            while (true)
            {
                ReadResult read = await _outgoing.Reader.ReadAsync();
                ReadOnlySequence<byte> buffer = read.Buffer;
                ReadOnlySequence<byte> start = buffer;
                while (FrameReader.TryRead(ref buffer, out Frame frame))
                {
                    byte[] bytes = start.Slice(0, start.Length - buffer.Length).ToArray();
                    start = buffer;
                    if (frame.Type == FrameType.DeltaChunk && ++chunks == n)
                    {
                        bytes[^1] ^= 0x40;
                    }

                    await output.WriteAsync(bytes);
                }

                _outgoing.Reader.AdvanceTo(buffer.Start, buffer.End);
                if (read.IsCompleted)
                {
                    await output.CompleteAsync();
                    return;
                }
            }
        }
    }
}
