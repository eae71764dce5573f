using FedMesh.Protocol.Deltas;
using FedMesh.Protocol.Messages;
using FedMesh.Protocol.Wire;
using NSec.Cryptography;

namespace FedMesh.Protocol.Tests.Deltas;

public class SignedDeltaTests
{
    private static readonly Key Origin = TestDeltas.KeyFromSeed(1);

    private static ProtocolException Fails(Action action) => Assert.Throws<ProtocolException>(action);

    [Fact]
    public void A_relayed_manifest_and_chunks_verify_unchanged_at_the_receiver()
    {
        (SignedDelta sent, byte[] payload) = TestDeltas.Signed(Origin);

        // Relay: decode the wire body and re-send it without change; the receiver verifies what arrives.
        byte[] relayed = MessageCodec.Encode(MessageCodec.Decode(FrameType.DeltaManifest, sent.Body));
        SignedDelta received = SignedDelta.Verify(relayed, TestDeltas.Local, Origin.PublicKey);

        Assert.Equal(sent.ContentId, received.ContentId);
        var assembler = new DeltaAssembler(received);
        for (int i = 0; i < sent.Manifest.ChunkCount; i++)
        {
            byte[] chunkBody = MessageCodec.Encode(sent.Chunk(payload, i));
            Assert.Equal(ChunkOutcome.Accepted, assembler.Accept(MessageCodec.Decode<DeltaChunkMessage>(FrameType.DeltaChunk, chunkBody)));
        }

        Assert.Equal(payload, assembler.Payload.ToArray());
        Assert.Equal(TestDeltas.RandomFlat(1, TestDeltas.Schema), DeltaDecoder.DecodeFlat(received.Manifest, assembler.Payload.Span));
    }

    [Fact]
    public void A_tampered_chunk_is_a_bad_chunk_hash()
    {
        (SignedDelta delta, byte[] payload) = TestDeltas.Signed(Origin);
        var assembler = new DeltaAssembler(SignedDelta.Verify(delta.Body, TestDeltas.Local));
        byte[] chunk = delta.Chunk(payload, 3).Data.ToArray();
        chunk[17] ^= 0x01;
        Assert.Equal(ProtocolErrorCode.BadChunkHash, Fails(() => assembler.Accept(3, chunk)).Code);
        Assert.False(assembler.Has(3));
    }

    [Fact]
    public void A_manifest_signed_by_another_key_is_a_bad_signature()
    {
        (SignedDelta genuine, _) = TestDeltas.Signed(Origin);
        byte[] forged = SignatureAlgorithm.Ed25519.Sign(TestDeltas.KeyFromSeed(100), [.. "fedmesh-delta-manifest-v1"u8, .. genuine.Message.Manifest.Span]);
        var message = new DeltaManifestMessage(genuine.Message.Manifest, forged);
        Assert.Equal(ProtocolErrorCode.BadSignature, Fails(() => SignedDelta.Verify(message, TestDeltas.Local)).Code);
    }

    [Fact]
    public void A_genuine_manifest_from_an_unexpected_origin_is_a_bad_signature()
    {
        (SignedDelta genuine, _) = TestDeltas.Signed(TestDeltas.KeyFromSeed(100));
        Assert.Equal(ProtocolErrorCode.BadSignature, Fails(() => SignedDelta.Verify(genuine.Message, TestDeltas.Local, Origin.PublicKey)).Code);
    }

    [Fact]
    public void A_tampered_manifest_is_a_bad_signature()
    {
        (SignedDelta genuine, _) = TestDeltas.Signed(Origin);
        DeltaManifest altered = genuine.Manifest with { Sequence = genuine.Manifest.Sequence + 1 };
        var message = new DeltaManifestMessage(altered.Encode(), genuine.Message.Signature);
        Assert.Equal(ProtocolErrorCode.BadSignature, Fails(() => SignedDelta.Verify(message, TestDeltas.Local)).Code);

        byte[] hashes = genuine.Manifest.ChunkHashes.ToArray();
        hashes[0] ^= 0x80;
        message = new DeltaManifestMessage((genuine.Manifest with { ChunkHashes = hashes }).Encode(), genuine.Message.Signature);
        Assert.Equal(ProtocolErrorCode.BadSignature, Fails(() => SignedDelta.Verify(message, TestDeltas.Local)).Code);
    }

    [Fact]
    public void Replayed_and_older_sequences_are_stale()
    {
        var tracker = new SequenceTracker();
        (SignedDelta five, _) = TestDeltas.Signed(Origin, sequence: 5);
        SignedDelta received = SignedDelta.Verify(five.Body, TestDeltas.Local);
        tracker.EnsureFresh(received.Manifest.Origin.Span, received.Manifest.Sequence);
        tracker.Commit(received.Manifest.Origin.Span, received.Manifest.Sequence);

        Assert.Equal(ProtocolErrorCode.StaleSequence, Fails(() => tracker.EnsureFresh(received.Manifest.Origin.Span, 5)).Code);
        (SignedDelta four, _) = TestDeltas.Signed(Origin, sequence: 4);
        Assert.Equal(ProtocolErrorCode.StaleSequence, Fails(() => tracker.EnsureFresh(four.Manifest.Origin.Span, four.Manifest.Sequence)).Code);
        tracker.EnsureFresh(received.Manifest.Origin.Span, 6);
    }

    [Fact]
    public void Foreign_mesh_model_or_schema_is_an_incompatible_peer_with_a_reason()
    {
        (SignedDelta delta, _) = TestDeltas.Signed(Origin);
        LocalMesh local = TestDeltas.Local;

        Assert.Contains("mesh id", Fails(() => SignedDelta.Verify(delta.Body, local with { MeshId = new byte[32] })).Message, StringComparison.Ordinal);
        Assert.Contains("base-model", Fails(() => SignedDelta.Verify(delta.Body, local with { BaseModelHash = new byte[32] })).Message, StringComparison.Ordinal);
        var otherSchema = new AdapterSchema([new TensorInfo("x", [4])]);
        ProtocolException e = Fails(() => SignedDelta.Verify(delta.Body, local with { Schema = otherSchema }));
        Assert.Equal(ProtocolErrorCode.IncompatiblePeer, e.Code);
        Assert.Contains("adapter-schema", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Content_id_is_the_blake3_of_the_manifest_message_body_and_differs_per_sequence()
    {
        (SignedDelta a, _) = TestDeltas.Signed(Origin, sequence: 1);
        (SignedDelta b, _) = TestDeltas.Signed(Origin, sequence: 2);
        Assert.Equal(ContentHash.Compute(a.Body), a.ContentId);
        Assert.NotEqual(a.ContentId, b.ContentId);
        HaveMessage have = a.Have();
        Assert.Equal(a.ContentId, have.ContentId.ToArray());
        Assert.Equal(14u, have.ChunkCount);
    }
}
