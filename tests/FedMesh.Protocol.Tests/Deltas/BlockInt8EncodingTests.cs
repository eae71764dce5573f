using FedMesh.Protocol.Deltas;
using FedMesh.Protocol.Deltas.Internal;

namespace FedMesh.Protocol.Tests.Deltas;

/// <summary>Block int8 (SPEC.md §5.4 code 4): the `block-int8-delta` vector, the error bound, the exponent choice and
/// bounded decoding of untrusted bytes.</summary>
public class BlockInt8EncodingTests
{
    private static readonly AdapterSchema VectorSchema = new([new TensorInfo("a", [2, 5]), new TensorInfo("b", [4])]);

    private static readonly float[] VectorValues = [1f, -0.5f, 0.25f, 0f, 0.125f, -1f, 0.5f, 0.75f, 0.01f, -0.02f, 1e-4f, -5e-5f, 2.5e-5f, 0f];

    /// <summary>The §5.4 example: "a" has a block of 8 with max 1 and a block of 2 with max 0.02; "b" is LoRA-sized.</summary>
    private static SignedDelta VectorDelta(out byte[] payload)
    {
        EncodedDelta encoded = DeltaEncoder.EncodeFlat(VectorSchema, VectorValues, TensorEncoding.BlockInt8);
        payload = encoded.Payload.ToArray();
        return TestDeltas.SpecExample(VectorSchema, encoded, 9);
    }

    [Fact]
    public void Payload_manifest_and_content_id_match_the_spec_vector()
    {
        SignedDelta delta = VectorDelta(out byte[] payload);
        TestDeltas.AssertMatchesSpecVector("block-int8-delta", delta, payload);
    }

    [Fact]
    public void The_spec_vector_verifies_and_decodes_to_the_values_the_spec_derives()
    {
        const string v = "block-int8-delta";
        SignedDelta delta = VectorDelta(out _);
        SignedDelta verified = SignedDelta.Verify(delta.Body, new LocalMesh(TestDeltas.MeshId, TestDeltas.BaseModelHash, VectorSchema));
        byte[] payload = SpecVectors.Bytes(v, "payload");
        float[] values = DeltaDecoder.DecodeFlat(verified.Manifest, payload);

        // a: S = 1/127; block 0 (max 1) keeps e = 0, block 1 (max 0.02) gets e = 90 = 5 octaves + 10/16:
        // s = (S × M[10]) × 2^-5, and 0.01 / s = 62.7 → 63, −0.02 / s = −125.4 → −125 (per-tensor int8 would send 1 and −3).
        float sa = verified.Manifest.Tensors[0].Scale;
        Assert.Equal(1f / 127, sa);
        Assert.Equal([0x00, 0x5a], payload[..2]);
        float s1 = sa * BitConverter.UInt32BitsToSingle(0x3f25fed7) * (1f / 32);
        Assert.Equal(63 * s1, values[8]);
        Assert.Equal(-125 * s1, values[9]);
        Assert.Equal(127 * sa, values[0]);
        Assert.Equal(-64 * sa, values[1]); // −0.5 × 127 = −63.5 rounds half-even to −64

        // b (1e-4 at most): one block, e = 0, q as int8 over S = 1e-4 / 127: the magnitude lives in S, not in the byte.
        Assert.Equal(1e-4f / 127, verified.Manifest.Tensors[1].Scale);
        Assert.Equal(0x00, payload[12]);
        Assert.Equal([127, -64, 32, 0], payload[13..].Select(b => (int)(sbyte)b));
        for (int i = 0; i < VectorValues.Length; i++)
        {
            float s = i < 8 ? sa : i < 10 ? s1 : verified.Manifest.Tensors[1].Scale;
            Assert.True(Math.Abs(values[i] - VectorValues[i]) <= (s / 2.0) + (127 * s * 1.2e-7), $"element {i}: {VectorValues[i]} → {values[i]}");
        }
    }

    [Fact]
    public void Error_stays_within_half_a_block_step_and_below_per_tensor_int8_on_lora_sized_tensors_with_outliers()
    {
        // LoRA-sized values (~1e-4) with one outlier per tensor 30× larger: the per-tensor scale is set by the outlier,
        // each block's by its own values.
        float[] flat = TestDeltas.RandomFlat(11, TestDeltas.Schema, amplitude: 1e-4f);
        int offset = 0;
        foreach (TensorInfo t in TestDeltas.Schema.Tensors)
        {
            flat[offset + 5] = 3e-3f;
            offset += (int)t.ElementCount;
        }

        EncodedDelta encoded = DeltaEncoder.EncodeFlat(TestDeltas.Schema, flat, TensorEncoding.BlockInt8);
        float[] back = TensorEncodingTests.RoundTrip(flat, TensorEncoding.BlockInt8, out DeltaManifest manifest);
        float[] int8 = TensorEncodingTests.RoundTrip(flat, TensorEncoding.Int8, out _);
        double blockSquares = 0, int8Squares = 0;
        offset = 0;
        int byteOffset = 0;
        foreach (ManifestTensor t in manifest.Tensors)
        {
            int n = (int)t.Info.ElementCount;
            int blocks = (n + 7) / 8;
            Assert.Equal(TensorEncoding.BlockInt8, t.Encoding);
            Assert.Equal(n + blocks, (int)t.ByteLength);
            ReadOnlySpan<byte> exponents = encoded.Payload.Span.Slice(byteOffset, blocks);
            for (int i = 0; i < n; i++)
            {
                float s = BlockCodec.BlockScale(t.Scale, exponents[i / 8]);
                Assert.True(s <= t.Scale, $"block scale {s} above the tensor's {t.Scale}");
                double bound = (s / 2.0) + (127 * s * 1.2e-7); // half a step plus a float32 ulp of 127·s
                Assert.True(Math.Abs(back[offset + i] - flat[offset + i]) <= bound, $"element {offset + i}: {flat[offset + i]} → {back[offset + i]} (bound {bound})");
                blockSquares += Math.Pow(back[offset + i] - flat[offset + i], 2);
                int8Squares += Math.Pow(int8[offset + i] - flat[offset + i], 2);
            }

            offset += n;
            byteOffset += n + blocks;
        }

        // Uniform values 30× below the outlier: their blocks' steps are ~30× finer, so the squared error falls by far
        // more than 10× (measured ~1/900 but for the outlier blocks; 10× leaves room for any seed).
        Assert.True(blockSquares * 10 < int8Squares, $"block int8 squared error {blockSquares:g3}, int8 {int8Squares:g3}");
        Assert.Equal(9 * TestDeltas.Schema.TotalElements / 8, encoded.Payload.Length); // 1.125 bytes per element
    }

    [Theory]
    [InlineData(1f / 127, 1f)]
    [InlineData(1f / 127, 0.02f)]
    [InlineData(1e-4f / 127, 3.3e-7f)]
    [InlineData(1f, 1e-30f)]         // below 16 octaves: the last exponent, 255
    [InlineData(1f / 127, 1.01f)]    // above 127·S (cannot happen for a tensor's own max): exponent 0, q clamped
    public void The_exponent_is_the_finest_whose_block_scale_still_holds_the_block_max(float tensorScale, float blockMax)
    {
        byte e = BlockCodec.Exponent(tensorScale, blockMax);
        if (e > 0)
        {
            Assert.True(127.0 * BlockCodec.BlockScale(tensorScale, e) >= blockMax, $"e = {e} clamps {blockMax}");
        }

        if (e < 255)
        {
            Assert.True(127.0 * BlockCodec.BlockScale(tensorScale, (byte)(e + 1)) < blockMax, $"e = {e} is not the finest for {blockMax}");
        }

        Assert.Equal(255, BlockCodec.Exponent(tensorScale, 0f));
    }

    [Fact]
    public void Every_exponent_byte_names_a_positive_scale_no_larger_than_the_last_one()
    {
        // No byte is invalid: the scales fall monotonically from S (e = 0) to S·2^(−255/16), all positive and finite, for
        // a unit scale and for a LoRA-sized one.
        foreach (float tensorScale in new[] { 1f, 1e-4f / 127 })
        {
            float previous = float.PositiveInfinity;
            for (int e = 0; e <= 255; e++)
            {
                float s = BlockCodec.BlockScale(tensorScale, (byte)e);
                Assert.True(s > 0 && s <= previous, $"e = {e}: {s} after {previous}");
                Assert.Equal(tensorScale * Math.Pow(2, -e / 16.0), s, tensorScale * Math.Pow(2, -e / 16.0) * 1e-6);
                previous = s;
            }
        }
    }

    [Theory]
    [InlineData("005a7fc020001081405f3f80007fc02000", "tensor 'a' holds int8 value -128")]    // a's last value is −128
    [InlineData("005a7fc020001081405f3f83007fc080", "tensor 'b' needs 5 bytes, 4 are left")]   // one byte short
    [InlineData("005a7fc020001081405f3f83007fc0200000", "tensors take 17 bytes, the payload has 18")]
    public void Malformed_block_payloads_are_refused_naming_the_problem(string hex, string expected)
    {
        SignedDelta delta = VectorDelta(out _);
        byte[] payload = Convert.FromHexString(hex);
        ProtocolException ex = Assert.Throws<ProtocolException>(() => DeltaDecoder.DecodeFlat(delta.Manifest with { TotalSize = payload.Length }, payload));
        Assert.Equal(ProtocolErrorCode.MalformedMessage, ex.Code);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Any_exponent_byte_decodes_but_a_scale_that_is_not_finite_and_non_negative_is_refused()
    {
        SignedDelta delta = VectorDelta(out byte[] payload);
        byte[] changed = (byte[])payload.Clone();
        changed[0] = 0x80; // e = 128 (8 octaves down): a valid exponent, unlike an int8 value of −128
        float[] values = DeltaDecoder.DecodeFlat(delta.Manifest, changed);
        Assert.Equal(127 * (1f / 127) / 256, values[0]);

        foreach (float bad in new[] { float.NaN, float.PositiveInfinity, -1f / 127 })
        {
            DeltaManifest manifest = delta.Manifest with { Tensors = [delta.Manifest.Tensors[0] with { Scale = bad }, delta.Manifest.Tensors[1]] };
            Assert.Contains("is invalid for BlockInt8", manifest.Problem(), StringComparison.Ordinal);
            ProtocolException ex = Assert.Throws<ProtocolException>(() => DeltaManifest.Decode(manifest.EncodeUnchecked()));
            Assert.Equal(ProtocolErrorCode.MalformedMessage, ex.Code);
        }
    }
}
