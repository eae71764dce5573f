using FedMesh.Protocol.Deltas;

namespace FedMesh.Protocol.Tests.Deltas;

/// <summary>The sparse int8 encoding (SPEC.md §5.4 code 3): the `sparse-delta` vector and bounded decoding of untrusted bytes.</summary>
public class SparseEncodingTests
{
    private static readonly AdapterSchema VectorSchema = new([new TensorInfo("a", [2, 5]), new TensorInfo("b", [4])]);

    /// <summary>The §5.4 example: "a" carries elements 0, 3, 4, 9 and "b" element 2; the others are not sent.</summary>
    private static SignedDelta VectorDelta(out byte[] payload)
    {
        float[] flat = [0.5f, 7f, 7f, 1f, -0.25f, 7f, 7f, 7f, 7f, -1f, 7f, 7f, 0.25f, 7f];
        bool[] carried = [true, false, false, true, true, false, false, false, false, true, false, false, true, false];
        EncodedDelta encoded = DeltaEncoder.EncodeFlatSparse(VectorSchema, flat, carried);
        payload = encoded.Payload.ToArray();
        return TestDeltas.SpecExample(VectorSchema, encoded, 8);
    }

    [Fact]
    public void Payload_manifest_and_content_id_match_the_spec_vector()
    {
        SignedDelta delta = VectorDelta(out byte[] payload);
        TestDeltas.AssertMatchesSpecVector("sparse-delta", delta, payload);
    }

    [Fact]
    public void The_spec_vector_verifies_and_decodes_with_its_presence_flags()
    {
        const string v = "sparse-delta";
        SignedDelta delta = VectorDelta(out _);
        SignedDelta verified = SignedDelta.Verify(delta.Body, new LocalMesh(TestDeltas.MeshId, TestDeltas.BaseModelHash, VectorSchema));
        float[] values = DeltaDecoder.DecodeFlat(verified.Manifest, SpecVectors.Bytes(v, "payload"), out bool[]? carried);

        // 0.5 · 127 = 63.5 rounds half-even to 64; −0.25 · 127 = −31.75 to −32; b's scale is 0.25 / 127.
        float s = 1f / 127;
        Assert.Equal([64 * s, 0, 0, 127 * s, -32 * s, 0, 0, 0, 0, -127 * s, 0, 0, 127 * (0.25f / 127), 0], values);
        Assert.Equal([true, false, false, true, true, false, false, false, false, true, false, false, true, false], carried!);
        Assert.True(DeltaDecoder.IsSparse(verified.Manifest));
    }

    [Theory]
    [InlineData("19060240", "padding bits set")]          // bit 10 of a's bitmap is past its 10 elements
    [InlineData("1902407fe0", "only 3 bytes left")]       // bitmap marks 4 elements, 3 follow (and nothing for b)
    [InlineData("1902407fe08104", "bitmap marks 1 elements, only 0 bytes left")]
    [InlineData("1902407fe0810480", "-128")]
    [InlineData("1902407fe081047f00", "tensors take 8 bytes, the payload has 9")]
    public void Malformed_sparse_payloads_are_refused_naming_the_problem(string hex, string expected)
    {
        SignedDelta delta = VectorDelta(out _);
        byte[] payload = Convert.FromHexString(hex);
        DeltaManifest manifest = delta.Manifest with { TotalSize = payload.Length };
        ProtocolException ex = Assert.Throws<ProtocolException>(() => DeltaDecoder.DecodeFlat(manifest, payload, out _));
        Assert.Equal(ProtocolErrorCode.MalformedMessage, ex.Code);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_manifest_whose_total_size_no_bitmap_can_reach_is_refused()
    {
        SignedDelta delta = VectorDelta(out _);
        // a: 2 bitmap bytes + ≤ 10 values; b: 1 + ≤ 4: total_size must lie in 3..17.
        Assert.Null((delta.Manifest with { TotalSize = 16 }).Problem());
        Assert.Contains("outside the 3..17 bytes", (delta.Manifest with { TotalSize = 18 }).Problem(), StringComparison.Ordinal);
        Assert.Contains("outside the 3..17 bytes", (delta.Manifest with { TotalSize = 2 }).Problem(), StringComparison.Ordinal);
    }

    [Fact]
    public void Random_masks_round_trip_and_the_length_is_the_bitmap_plus_the_carried_count()
    {
        float[] flat = TestDeltas.RandomFlat(5, TestDeltas.Schema, amplitude: 2f);
        var rng = new Random(9);
        bool[] carried = flat.Select(_ => rng.NextDouble() < 0.3).ToArray();
        EncodedDelta encoded = DeltaEncoder.EncodeFlatSparse(TestDeltas.Schema, flat, carried);
        long bitmaps = TestDeltas.Schema.Tensors.Sum(t => (t.ElementCount + 7) / 8);
        Assert.Equal(bitmaps + carried.Count(c => c), encoded.Payload.Length);

        DeltaManifest manifest = SignedDelta.Create(TestDeltas.KeyFromSeed(1), TestDeltas.Header(1), encoded).Manifest;
        float[] back = DeltaDecoder.DecodeFlat(manifest, encoded.Payload.Span, out bool[]? flags);
        Assert.Equal(carried, flags!);
        int offset = 0;
        foreach (ManifestTensor t in manifest.Tensors)
        {
            for (int i = offset; i < offset + t.Info.ElementCount; i++)
            {
                Assert.Equal(carried[i] ? flat[i] : 0f, back[i], (float)(t.Scale / 2) + 1e-6f);
            }

            offset += (int)t.Info.ElementCount;
        }
    }

    [Fact]
    public void Dense_decoding_reports_no_flags_and_the_dense_encoders_refuse_sparse()
    {
        float[] flat = TestDeltas.RandomFlat(6, TestDeltas.Schema, amplitude: 1f);
        EncodedDelta encoded = DeltaEncoder.EncodeFlat(TestDeltas.Schema, flat, TensorEncoding.Int8);
        DeltaManifest manifest = SignedDelta.Create(TestDeltas.KeyFromSeed(1), TestDeltas.Header(1), encoded).Manifest;
        _ = DeltaDecoder.DecodeFlat(manifest, encoded.Payload.Span, out bool[]? carried);
        Assert.Null(carried);
        Assert.Throws<ArgumentException>(() => DeltaEncoder.EncodeFlat(TestDeltas.Schema, flat, TensorEncoding.SparseInt8));
    }
}
