using System.IO.Pipelines;
using System.Runtime.InteropServices;
using FedMesh.Protocol.Deltas;
using FedMesh.Protocol.Identity;
using FedMesh.Protocol.Messages;
using FedMesh.Protocol.Security;
using FedMesh.Protocol.Security.Internal;
using FedMesh.Protocol.Tests.Deltas;
using FedMesh.Protocol.Transport;
using FedMesh.Protocol.Wire;
using Key = NSec.Cryptography.Key;

namespace FedMesh.Protocol.Tests.Transport;

/// <summary>
/// The read loop decrypting DeltaChunk data straight into a <see cref="DeltaAssembler"/>'s slots
/// (<see cref="SecureConnection.ChunkSlots"/>), and every way it falls back to a pooled buffer or refuses.
/// </summary>
public sealed class PlacedChunkTests : IDisposable
{
    private readonly CancellationTokenSource _guard = new(TimeSpan.FromSeconds(30));
    private readonly NodeIdentity _a = NodeIdentity.FromSeed(Enumerable.Repeat((byte)1, 32).ToArray());
    private readonly NodeIdentity _b = NodeIdentity.FromSeed(Enumerable.Repeat((byte)2, 32).ToArray());
    private readonly Key _origin = TestDeltas.KeyFromSeed(7);

    public void Dispose()
    {
        _guard.Dispose();
        _a.Dispose();
        _b.Dispose();
        _origin.Dispose();
    }

    private CancellationToken Guard => _guard.Token;

    /// <summary>Both ends on AEGIS-256, the suite whose frames open in parts.</summary>
    private static readonly ConnectionOptions Aegis = LoopbackSecurePair.OptionsOffering(CipherSuite.Aegis256 | CipherSuite.ChaCha20Poly1305);

    private async Task<(SecureConnection A, SecureConnection B)> ConnectAsync(IDuplexPipe a, IDuplexPipe b)
    {
        Task<SecureConnection> accept = SecureConnection.AcceptAsync(b, _b, Aegis, cancellationToken: Guard);
        SecureConnection initiator = await SecureConnection.ConnectAsync(a, _a, Aegis, cancellationToken: Guard);
        SecureConnection responder = await accept;
        Assert.Equal(CipherSuite.Aegis256, responder.Session.Suite);
        return (initiator, responder);
    }

    /// <summary>A to B over in-memory pipes, B placing chunks of a fresh test delta into its assembler.</summary>
    private async Task<Transfer> StartAsync()
    {
        (SignedDelta delta, byte[] payload) = TestDeltas.Signed(_origin);
        (IDuplexPipe pa, IDuplexPipe pb) = PipePair.Create();
        (SecureConnection a, SecureConnection b) = await ConnectAsync(pa, pb);
        var assembler = new DeltaAssembler(delta);
        b.ChunkSlots = assembler;
        return new Transfer(a, b, assembler, delta, payload);
    }

    private sealed record Transfer(SecureConnection A, SecureConnection B, DeltaAssembler Assembler, SignedDelta Delta, byte[] Payload) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await A.DisposeAsync();
            await B.DisposeAsync();
        }
    }

    [SkippableFact]
    public async Task Chunks_are_decrypted_into_their_slots_and_hashed_there()
    {
        Skip.IfNot(Aegis256.IsSupported, "needs AES-NI");
        await using Transfer t = await StartAsync();
        (SecureConnection a, SecureConnection b, DeltaAssembler assembler, SignedDelta delta, byte[] payload) = t;

        // In reverse order: any chunk the assembler lacks is placed, not only the next one.
        for (int i = delta.Manifest.ChunkCount - 1; i >= 0; i--)
        {
            await a.SendAsync(delta.Chunk(payload, i), Guard);
        }

        var placed = new List<DeltaChunkMessage>();
        for (int i = 0; i < delta.Manifest.ChunkCount; i++)
        {
            using ReceivedFrame frame = await b.Incoming.ReadAsync(Guard);
            DeltaChunkMessage chunk = Assert.IsType<DeltaChunkMessage>(frame.PlacedChunk);
            Assert.True(frame.Body.IsEmpty);
            Assert.Equal(ChunkOutcome.Accepted, assembler.Accept(chunk));
            placed.Add(chunk);
        }

        Assert.True(assembler.IsComplete);
        Assert.Equal(payload, assembler.Payload.ToArray());

        // Each chunk's data was its slot in the payload buffer itself, not a copy.
        Assert.True(MemoryMarshal.TryGetArray(assembler.Payload, out ArraySegment<byte> buffer));
        Assert.All(placed, chunk =>
        {
            Assert.True(MemoryMarshal.TryGetArray(chunk.Data, out ArraySegment<byte> data));
            Assert.Same(buffer.Array, data.Array);
            Assert.Equal(buffer.Offset + delta.Manifest.ChunkOffset((int)chunk.Index), data.Offset);
        });
    }

    [SkippableFact]
    public async Task Chunks_the_assembler_does_not_want_arrive_in_buffers_and_are_judged_as_before()
    {
        Skip.IfNot(Aegis256.IsSupported, "needs AES-NI");
        (SignedDelta other, byte[] otherPayload) = TestDeltas.Signed(_origin, sequence: 2, seed: 2);
        await using Transfer t = await StartAsync();
        (SecureConnection a, SecureConnection b, DeltaAssembler assembler, SignedDelta delta, byte[] payload) = t;
        await a.SendAsync(delta.Chunk(payload, 3), Guard);
        await a.SendAsync(delta.Chunk(payload, 3), Guard);
        await a.SendAsync(other.Chunk(otherPayload, 4), Guard);
        await a.SendAsync(new DeltaChunkMessage(delta.ContentId, 5, new byte[300]), Guard);

        using (ReceivedFrame first = await b.Incoming.ReadAsync(Guard))
        {
            Assert.Equal(ChunkOutcome.Accepted, assembler.Accept(Assert.IsType<DeltaChunkMessage>(first.PlacedChunk)));
        }

        // Already held: not reserved again, delivered in a buffer, a duplicate as ever.
        using (ReceivedFrame again = await b.Incoming.ReadAsync(Guard))
        {
            Assert.Null(again.PlacedChunk);
            Assert.Equal(ChunkOutcome.Duplicate, assembler.Accept(MessageCodec.Decode<DeltaChunkMessage>(again.Type, again.Body)));
        }

        // Another delta's chunk: in a buffer, for whoever assembles that delta.
        using (ReceivedFrame foreign = await b.Incoming.ReadAsync(Guard))
        {
            Assert.Null(foreign.PlacedChunk);
            DeltaChunkMessage chunk = MessageCodec.Decode<DeltaChunkMessage>(foreign.Type, foreign.Body);
            Assert.Equal(ChunkOutcome.Accepted, new DeltaAssembler(other).Accept(chunk));
        }

        // The wrong length for its index: no slot; the assembler refuses it with its reason.
        using (ReceivedFrame wrong = await b.Incoming.ReadAsync(Guard))
        {
            Assert.Null(wrong.PlacedChunk);
            var e = Assert.Throws<ProtocolException>(() => assembler.Accept(MessageCodec.Decode<DeltaChunkMessage>(wrong.Type, wrong.Body)));
            Assert.Equal(ProtocolErrorCode.MalformedMessage, e.Code);
        }

        Assert.Equal(1, assembler.ReceivedCount);
    }

    public static TheoryData<string> TamperedParts() => new() { "head", "data", "tag" };

    [SkippableTheory]
    [MemberData(nameof(TamperedParts))]
    public async Task A_tampered_chunk_frame_closes_the_connection_and_leaves_its_slot_empty_and_free(string part)
    {
        Skip.IfNot(Aegis256.IsSupported, "needs AES-NI");
        (SignedDelta delta, byte[] payload) = TestDeltas.Signed(_origin);

        // Frames 0 and 1 from A are the handshake; the chunks follow, and the second one (index 3) is tampered with:
        // in its head (content id: the head then decrypts to garbage), its data, or its tag.
        (IDuplexPipe pa, IDuplexPipe pb, Task relay) = PipePair.CreateWithRelay((index, frame) =>
        {
            if (index == 3)
            {
                int at = part switch { "head" => FrameHeader.Size + 10, "data" => frame.Length - 100, _ => frame.Length - 1 };
                frame[at] ^= 0x40;
            }

            return [frame];
        });
        (SecureConnection a, SecureConnection b) = await ConnectAsync(pa, pb);
        var assembler = new DeltaAssembler(delta);
        await using (a)
        await using (b)
        {
            b.ChunkSlots = assembler;
            await a.SendAsync(delta.Chunk(payload, 0), Guard);
            await a.SendAsync(delta.Chunk(payload, 1), Guard);

            ProtocolException reason = await b.Completion.WaitAsync(Guard);
            Assert.Equal(ProtocolErrorCode.DecryptFailed, reason.Code);
            while (b.Incoming.TryRead(out ReceivedFrame frame))
            {
                using (frame)
                {
                    Assert.Equal(0u, Assert.IsType<DeltaChunkMessage>(frame.PlacedChunk).Index);
                    Assert.Equal(ChunkOutcome.Accepted, assembler.Accept(frame.PlacedChunk));
                }
            }
        }

        await relay.WaitAsync(Guard);

        // Nothing of the bad frame was assembled, and its slot is free: the chunk from another peer is accepted.
        Assert.Equal(1, assembler.ReceivedCount);
        Assert.False(assembler.Has(1));
        Assert.Equal(ChunkOutcome.Accepted, assembler.Accept(delta.Chunk(payload, 1)));
    }

    [SkippableFact]
    public async Task A_placed_chunk_with_a_bad_hash_is_refused_and_its_slot_freed_when_the_frame_is_disposed()
    {
        Skip.IfNot(Aegis256.IsSupported, "needs AES-NI");
        await using Transfer t = await StartAsync();
        (SecureConnection a, SecureConnection b, DeltaAssembler assembler, SignedDelta delta, byte[] payload) = t;
        byte[] forged = payload.AsSpan(0, delta.Manifest.ChunkLength(0)).ToArray();
        forged[7] ^= 1;

        // A faulty (authenticated) sender: the right length, the wrong bytes.
        await a.SendAsync(new DeltaChunkMessage(delta.ContentId, 0, forged), Guard);
        using (ReceivedFrame frame = await b.Incoming.ReadAsync(Guard))
        {
            DeltaChunkMessage chunk = Assert.IsType<DeltaChunkMessage>(frame.PlacedChunk);
            Assert.Equal(ProtocolErrorCode.BadChunkHash, Assert.Throws<ProtocolException>(() => assembler.Accept(chunk)).Code);
            Assert.False(assembler.Has(0));

            // Still reserved by the frame: a copy from elsewhere waits for it.
            Assert.Equal(ChunkOutcome.Duplicate, assembler.Accept(delta.Chunk(payload, 0)));
        }

        // A placed chunk read and dropped without being accepted frees its slot too.
        await a.SendAsync(delta.Chunk(payload, 1), Guard);
        using (ReceivedFrame unread = await b.Incoming.ReadAsync(Guard))
        {
            Assert.NotNull(unread.PlacedChunk);
        }

        Assert.Equal(ChunkOutcome.Accepted, assembler.Accept(delta.Chunk(payload, 0)));
        Assert.Equal(ChunkOutcome.Accepted, assembler.Accept(delta.Chunk(payload, 1)));
    }

    [Fact]
    public void Slots_are_lent_once_only_for_the_right_delta_index_and_length_and_freed_by_their_holder()
    {
        (SignedDelta delta, byte[] payload) = TestDeltas.Signed(_origin);
        var assembler = new DeltaAssembler(delta);
        int length = delta.Manifest.ChunkLength(2);

        Assert.True(assembler.Reserve(new byte[32], 2, length).IsEmpty);
        Assert.True(assembler.Reserve(delta.ContentId, (uint)delta.Manifest.ChunkCount, length).IsEmpty);
        Assert.True(assembler.Reserve(delta.ContentId, 2, length - 1).IsEmpty);

        Memory<byte> slot = assembler.Reserve(delta.ContentId, 2, length);
        Assert.Equal(length, slot.Length);
        Assert.True(assembler.Reserve(delta.ContentId, 2, length).IsEmpty);
        Assert.Equal(ChunkOutcome.Duplicate, assembler.Accept(delta.Chunk(payload, 2)));

        // Data placed in a slot nobody reserved is a caller bug, not a chunk.
        Memory<byte> other = assembler.Reserve(delta.ContentId, 3, length);
        assembler.Release(3);
        Assert.Throws<InvalidOperationException>(() => assembler.Accept(3, other.Span));

        payload.AsSpan((int)delta.Manifest.ChunkOffset(2), length).CopyTo(slot.Span);
        Assert.Equal(ChunkOutcome.Accepted, assembler.Accept(2, slot.Span));
        assembler.Release(2);
        Assert.True(assembler.Has(2));
        Assert.True(assembler.Reserve(delta.ContentId, 2, length).IsEmpty);
    }
}
