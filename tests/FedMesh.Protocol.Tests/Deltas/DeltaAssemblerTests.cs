using FedMesh.Protocol.Deltas;
using FedMesh.Protocol.Messages;

namespace FedMesh.Protocol.Tests.Deltas;

public class DeltaAssemblerTests
{
    private static readonly (SignedDelta Delta, byte[] Payload) Sent = TestDeltas.Signed(TestDeltas.KeyFromSeed(1));

    private static DeltaAssembler NewAssembler() => new(SignedDelta.Verify(Sent.Delta.Body, TestDeltas.Local));

    private static byte[] ChunkData(int i) => Sent.Delta.Chunk(Sent.Payload, i).Data.ToArray();

    [Fact]
    public void Chunks_in_shuffled_order_assemble_the_exact_payload()
    {
        DeltaAssembler assembler = NewAssembler();
        int[] order = Enumerable.Range(0, assembler.ChunkCount).ToArray();
        new Random(11).Shuffle(order);
        foreach (int i in order)
        {
            Assert.False(assembler.IsComplete);
            Assert.Equal(ChunkOutcome.Accepted, assembler.Accept(i, ChunkData(i)));
        }

        Assert.True(assembler.IsComplete);
        Assert.Null(assembler.NextWant());
        Assert.Equal(Sent.Payload, assembler.Payload.ToArray());
    }

    [Fact]
    public void The_last_chunk_is_shorter_and_must_have_exactly_its_length()
    {
        (SignedDelta delta, byte[] payload) = TestDeltas.Signed(TestDeltas.KeyFromSeed(1), chunkSize: 1000);
        var assembler = new DeltaAssembler(delta);
        int last = assembler.ChunkCount - 1;
        Assert.Equal(7168 - (7 * 1000), delta.Chunk(payload, last).Data.Length);
        byte[] padded = [.. delta.Chunk(payload, last).Data.Span, 0];
        Assert.Equal(ProtocolErrorCode.MalformedMessage, Assert.Throws<ProtocolException>(() => assembler.Accept(last, padded)).Code);
    }

    [Fact]
    public void Duplicates_are_ignored_and_out_of_range_or_foreign_chunks_rejected()
    {
        DeltaAssembler assembler = NewAssembler();
        Assert.Equal(ChunkOutcome.Accepted, assembler.Accept(2, ChunkData(2)));
        Assert.Equal(ChunkOutcome.Duplicate, assembler.Accept(2, ChunkData(2)));
        Assert.Equal(ChunkOutcome.Duplicate, assembler.Accept(2, new byte[3]));
        Assert.Equal(1, assembler.ReceivedCount);

        Assert.Equal(ProtocolErrorCode.MalformedMessage, Assert.Throws<ProtocolException>(() => assembler.Accept(14, ChunkData(0))).Code);
        Assert.Equal(ProtocolErrorCode.MalformedMessage, Assert.Throws<ProtocolException>(() => assembler.Accept(-1, ChunkData(0))).Code);
        Assert.Equal(ProtocolErrorCode.MalformedMessage, Assert.Throws<ProtocolException>(() => assembler.Accept(0, [.. ChunkData(0), 1])).Code);
        var foreign = new DeltaChunkMessage(new byte[32], 0, ChunkData(0));
        Assert.Equal(ProtocolErrorCode.MalformedMessage, Assert.Throws<ProtocolException>(() => assembler.Accept(foreign)).Code);
        // A chunk at the wrong index has the right length but the wrong hash.
        Assert.Equal(ProtocolErrorCode.BadChunkHash, Assert.Throws<ProtocolException>(() => assembler.Accept(5, ChunkData(6))).Code);
        Assert.Throws<InvalidOperationException>(() => assembler.Payload);
    }

    /// <summary>A bad chunk is copied into its slot before it is hashed (the hash reads the copy), so the slot
    /// must stay missing and the good chunk from another peer must replace it; neighbours are untouched.</summary>
    [Fact]
    public void A_bad_chunk_leaves_its_slot_missing_and_the_good_one_replaces_it()
    {
        DeltaAssembler assembler = NewAssembler();
        byte[] tampered = ChunkData(3);
        tampered[^1] ^= 1;

        Assert.Equal(ProtocolErrorCode.BadChunkHash, Assert.Throws<ProtocolException>(() => assembler.Accept(3, tampered)).Code);
        Assert.False(assembler.Has(3));
        Assert.Equal(0, assembler.ReceivedCount);
        for (int i = 0; i < assembler.ChunkCount; i++)
        {
            Assert.Equal(ChunkOutcome.Accepted, assembler.Accept(i, ChunkData(i)));
        }

        Assert.Equal(Sent.Payload, assembler.Payload.ToArray());
    }

    [Fact]
    public void Missing_chunks_are_reported_as_sorted_ranges()
    {
        DeltaAssembler assembler = NewAssembler();
        foreach (int i in new[] { 0, 1, 4, 5, 6, 13 })
        {
            assembler.Accept(i, ChunkData(i));
        }

        Assert.Equal([new ChunkRange(2, 2), new ChunkRange(7, 6)], assembler.MissingRanges());
        Assert.Equal([new ChunkRange(2, 2)], assembler.MissingRanges(maxRanges: 1));
    }

    [Fact]
    public void An_interrupted_transfer_resumes_from_another_peer_with_a_want_for_the_missing_chunks()
    {
        DeltaAssembler receiver = NewAssembler();
        // Peer A delivers every third chunk and then the connection drops.
        for (int i = 0; i < receiver.ChunkCount; i += 3)
        {
            receiver.Accept(i, ChunkData(i));
        }

        // The receiver asks peer B (which relays the same content id) for what it lacks, over the wire.
        WantMessage want = receiver.NextWant()!;
        var wantOnWire = MessageCodec.Decode<WantMessage>(Wire.FrameType.Want, MessageCodec.Encode(want));
        Assert.Equal(Sent.Delta.ContentId, wantOnWire.ContentId.ToArray());

        // Peer B serves exactly the requested ranges.
        int served = 0;
        foreach (ChunkRange range in wantOnWire.Ranges)
        {
            for (uint i = range.Start; i < range.End; i++)
            {
                byte[] body = MessageCodec.Encode(Sent.Delta.Chunk(Sent.Payload, (int)i));
                Assert.Equal(ChunkOutcome.Accepted, receiver.Accept(MessageCodec.Decode<DeltaChunkMessage>(Wire.FrameType.DeltaChunk, body)));
                served++;
            }
        }

        Assert.Equal(receiver.ChunkCount - 5, served);
        Assert.True(receiver.IsComplete);
        Assert.Equal(Sent.Payload, receiver.Payload.ToArray());
    }
}
