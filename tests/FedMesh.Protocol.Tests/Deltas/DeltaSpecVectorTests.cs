using FedMesh.Protocol.Deltas;
using FedMesh.Protocol.Messages;
using NSec.Cryptography;

namespace FedMesh.Protocol.Tests.Deltas;

/// <summary>Checks the code against the `signed-delta` vector of SPEC.md §5.</summary>
public class DeltaSpecVectorTests
{
    internal static readonly AdapterSchema VectorSchema = new([new TensorInfo("a", [2, 3]), new TensorInfo("b", [4])]);

    /// <summary>The §5 example: "a" in fp32, "b" in int8, 28 payload bytes in chunks of 16.</summary>
    internal static SignedDelta VectorDelta(out byte[] payload)
    {
        float[] a = [0.5f, -1.25f, 2f, 0f, 0.125f, -3f];
        float[] b = [1f, -0.5f, 0.25f, -1f];
        EncodedDelta encoded = DeltaEncoder.Encode(VectorSchema, [a, b], [TensorEncoding.Float32, TensorEncoding.Int8]);
        payload = encoded.Payload.ToArray();
        var header = new DeltaHeader
        {
            MeshId = Enumerable.Repeat((byte)0x11, 32).ToArray(),
            BaseModelHash = Enumerable.Repeat((byte)0x22, 32).ToArray(),
            Schema = VectorSchema,
            Sequence = 7,
            Timestamp = DateTimeOffset.FromUnixTimeMilliseconds(1_767_225_600_000),
            Privacy = new DpParameters(1.0, 0.75, 0.015625),
            ChunkSize = 16,
        };
        return SignedDelta.Create(TestDeltas.KeyFromSeed(1), header, encoded);
    }

    private static string Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(bytes);

    [Fact]
    public void Signed_manifest_content_id_and_chunk_match_the_spec_vector()
    {
        const string v = "signed-delta";
        SignedDelta delta = VectorDelta(out byte[] payload);
        Key key = TestDeltas.KeyFromSeed(1);

        Assert.Equal(SpecVectors.Text(v, "seed"), Hex(key.Export(KeyBlobFormat.RawPrivateKey)));
        Assert.Equal(SpecVectors.Text(v, "public_key"), Hex(key.PublicKey.Export(KeyBlobFormat.RawPublicKey)));
        Assert.Equal(SpecVectors.Text(v, "payload"), Hex(payload));
        Assert.Equal(SpecVectors.Text(v, "manifest"), Hex(delta.Message.Manifest.Span));
        Assert.Equal(SpecVectors.Text(v, "signature"), Hex(delta.Message.Signature.Span));
        Assert.Equal(SpecVectors.Text(v, "manifest_message_body"), Hex(delta.Body));
        Assert.Equal(SpecVectors.Text(v, "content_id"), Hex(delta.ContentId));

        DeltaChunkMessage chunk = delta.Chunk(payload, 1);
        Assert.Equal(SpecVectors.Text(v, "chunk_1"), Hex(chunk.Data.Span));
        Assert.Equal(SpecVectors.Text(v, "chunk_1_hash"), Hex(ContentHash.Compute(chunk.Data.Span)));
        Assert.Equal(SpecVectors.Text(v, "chunk_1_message_body"), Hex(MessageCodec.Encode(chunk)));
    }

    [Fact]
    public void The_spec_vector_verifies_and_assembles()
    {
        const string v = "signed-delta";
        var local = new LocalMesh(Enumerable.Repeat((byte)0x11, 32).ToArray(), Enumerable.Repeat((byte)0x22, 32).ToArray(), VectorSchema);
        SignedDelta delta = SignedDelta.Verify(SpecVectors.Bytes(v, "manifest_message_body"), local);
        var assembler = new DeltaAssembler(delta);
        byte[] payload = SpecVectors.Bytes(v, "payload");
        assembler.Accept(0, payload.AsSpan(0, 16));
        assembler.Accept(1, SpecVectors.Bytes(v, "chunk_1"));
        Assert.Equal(payload, assembler.Payload.ToArray());
        Dictionary<string, float[]> tensors = DeltaDecoder.Decode(delta.Manifest, payload);
        Assert.Equal([0.5f, -1.25f, 2f, 0f, 0.125f, -3f], tensors["a"]);
    }
}
