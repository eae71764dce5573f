using FedMesh.Protocol.Deltas;
using FedMesh.Protocol.Deltas.Internal;

namespace FedMesh.Protocol.Tests.Deltas;

public class TensorEncodingTests
{
    internal static float[] RoundTrip(float[] flat, TensorEncoding encoding, out DeltaManifest manifest)
    {
        EncodedDelta encoded = DeltaEncoder.EncodeFlat(TestDeltas.Schema, flat, encoding);
        manifest = SignedDelta.Create(TestDeltas.KeyFromSeed(1), TestDeltas.Header(1), encoded).Manifest;
        return DeltaDecoder.DecodeFlat(manifest, encoded.Payload.Span);
    }

    [Fact]
    public void Fp32_round_trips_exactly_including_extreme_values()
    {
        float[] flat = TestDeltas.RandomFlat(3, TestDeltas.Schema, amplitude: 1e30f);
        flat[0] = float.Epsilon;
        flat[1] = -float.MaxValue;
        flat[2] = -0f;
        float[] back = RoundTrip(flat, TensorEncoding.Float32, out _);
        Assert.Equal(flat.Select(BitConverter.SingleToInt32Bits), back.Select(BitConverter.SingleToInt32Bits));
    }

    [Fact]
    public void Fp16_stays_within_half_an_ulp_of_binary16()
    {
        float[] flat = TestDeltas.RandomFlat(4, TestDeltas.Schema, amplitude: 3f);
        flat[0] = 1e-7f;   // subnormal in fp16
        flat[1] = 65504f;  // largest finite fp16
        float[] back = RoundTrip(flat, TensorEncoding.Float16, out _);
        for (int i = 0; i < flat.Length; i++)
        {
            Assert.True(Math.Abs(back[i] - flat[i]) <= TensorCodec.Float16ErrorBound(flat[i]), $"element {i}: {flat[i]} → {back[i]}");
        }

        Assert.Equal(2 * flat.Length, (int)DeltaEncoder.EncodeFlat(TestDeltas.Schema, flat, TensorEncoding.Float16).Payload.Length);
    }

    [Fact]
    public void Int8_stays_within_half_a_step_of_its_per_tensor_scale()
    {
        float[] flat = TestDeltas.RandomFlat(5, TestDeltas.Schema, amplitude: 0.3f);
        float[] back = RoundTrip(flat, TensorEncoding.Int8, out DeltaManifest manifest);
        int offset = 0;
        foreach (ManifestTensor t in manifest.Tensors)
        {
            Assert.Equal(TensorEncoding.Int8, t.Encoding);
            float expectedScale = flat.AsSpan(offset, (int)t.Info.ElementCount).ToArray().Max(MathF.Abs) / 127f;
            Assert.Equal(expectedScale, t.Scale, 6);
            for (int i = offset; i < offset + t.Info.ElementCount; i++)
            {
                // s/2 from rounding, plus a float32 ulp of the largest product 127·s.
                double bound = TensorCodec.Int8ErrorBound(t.Scale) + (127 * t.Scale * 1.2e-7);
                Assert.True(Math.Abs(back[i] - flat[i]) <= bound, $"element {i}: {flat[i]} → {back[i]} (bound {bound})");
            }

            offset += (int)t.Info.ElementCount;
        }
    }

    [Theory]
    [InlineData(TensorEncoding.Int8)]
    [InlineData(TensorEncoding.BlockInt8)]
    public void Int8_of_an_all_zero_tensor_has_zero_scale_and_decodes_to_zero(TensorEncoding encoding)
    {
        float[] flat = new float[TestDeltas.Schema.TotalElements];
        float[] back = RoundTrip(flat, encoding, out DeltaManifest manifest);
        Assert.All(manifest.Tensors, t => Assert.Equal(0f, t.Scale));
        Assert.All(back, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Named_tensors_encode_like_the_flat_delta_in_schema_order()
    {
        float[] flat = TestDeltas.RandomFlat(6, TestDeltas.Schema);
        var named = new Dictionary<string, float[]>();
        int offset = 0;
        foreach (TensorInfo t in TestDeltas.Schema.Tensors)
        {
            named[t.Name] = flat.AsSpan(offset, (int)t.ElementCount).ToArray();
            offset += (int)t.ElementCount;
        }

        EncodedDelta a = DeltaEncoder.Encode(TestDeltas.Schema, named, TensorEncoding.Float16);
        EncodedDelta b = DeltaEncoder.EncodeFlat(TestDeltas.Schema, flat, TensorEncoding.Float16);
        Assert.Equal(b.Payload.ToArray(), a.Payload.ToArray());
    }

    [Fact]
    public void Encoder_rejects_non_finite_values_fp16_overflow_and_missing_tensors()
    {
        float[] flat = TestDeltas.RandomFlat(7, TestDeltas.Schema);
        flat[10] = float.NaN;
        Assert.Contains("NaN", Assert.Throws<ArgumentException>(() => DeltaEncoder.EncodeFlat(TestDeltas.Schema, flat, TensorEncoding.Float32)).Message, StringComparison.Ordinal);
        flat[10] = 70000f;
        Assert.Contains("fp16", Assert.Throws<ArgumentException>(() => DeltaEncoder.EncodeFlat(TestDeltas.Schema, flat, TensorEncoding.Float16)).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => DeltaEncoder.Encode(TestDeltas.Schema, new Dictionary<string, float[]> { ["x"] = [1f] }, TensorEncoding.Float32));
        Assert.Throws<ArgumentException>(() => DeltaEncoder.EncodeFlat(TestDeltas.Schema, new float[3], TensorEncoding.Float32));
    }

    [Fact]
    public void Decoder_rejects_wrong_sizes_non_finite_floats_and_int8_minus_128()
    {
        float[] flat = TestDeltas.RandomFlat(8, TestDeltas.Schema);
        EncodedDelta fp32 = DeltaEncoder.EncodeFlat(TestDeltas.Schema, flat, TensorEncoding.Float32);
        DeltaManifest manifest = SignedDelta.Create(TestDeltas.KeyFromSeed(1), TestDeltas.Header(1), fp32).Manifest;
        byte[] payload = fp32.Payload.ToArray();

        Assert.Equal(ProtocolErrorCode.MalformedMessage, Assert.Throws<ProtocolException>(() => DeltaDecoder.DecodeFlat(manifest, payload.AsSpan(1))).Code);
        BitConverter.TryWriteBytes(payload.AsSpan(8), float.PositiveInfinity);
        Assert.Contains("NaN or infinity", Assert.Throws<ProtocolException>(() => DeltaDecoder.DecodeFlat(manifest, payload)).Message, StringComparison.Ordinal);

        EncodedDelta int8 = DeltaEncoder.EncodeFlat(TestDeltas.Schema, flat, TensorEncoding.Int8);
        DeltaManifest int8Manifest = SignedDelta.Create(TestDeltas.KeyFromSeed(1), TestDeltas.Header(1), int8).Manifest;
        byte[] q = int8.Payload.ToArray();
        q[5] = 0x80;
        Assert.Contains("-128", Assert.Throws<ProtocolException>(() => DeltaDecoder.DecodeFlat(int8Manifest, q)).Message, StringComparison.Ordinal);
    }
}
