using FedMesh.Protocol.Deltas;
using FedMesh.Protocol.Deltas.Internal;

namespace FedMesh.Protocol.Tests.Deltas;

/// <summary>Modulo int8 (SPEC.md §5.4 code 5): the `modulo-int8-delta` vector, decoding against the receiver's own
/// state within half a step, wrapped elements detected by the block checks, and bounds on the untrusted step.</summary>
public class ModuloInt8EncodingTests
{
    private static readonly AdapterSchema VectorSchema = new([new TensorInfo("a", [2, 5]), new TensorInfo("b", [4])]);

    private static readonly float[] VectorValues = [1.1f, -0.52f, 0.251f, 0f, 0.125f, -1f, 0.5f, 0.75f, 0.01f, -0.02f, 1e-4f, -5e-5f, 2.5e-5f, 0f];

    /// <summary>The §5.4 steps: 2^−10 for "a", 2^−20 for "b" (exact powers of two, so the example's products are exact).</summary>
    private static readonly float[] VectorSteps = [1f / 1024, 1f / 1048576];

    /// <summary>The §5.4 receiver's own state: "a" off by up to 0.12 (≤ 123 steps of 2^−10), "b" by up to 10⁻⁴ (≤ 105
    /// steps of 2^−20), all within 127 steps.</summary>
    private static readonly float[] VectorSide = [1.15f, -0.57f, 0.351f, -0.1f, 0.245f, -1.12f, 0.5f, 0.76f, 0f, 0f, 0f, 0f, 0f, 1e-4f];

    private static SignedDelta VectorDelta(out byte[] payload)
    {
        EncodedDelta encoded = DeltaEncoder.EncodeFlatModulo(VectorSchema, VectorValues, VectorSteps);
        payload = encoded.Payload.ToArray();
        return TestDeltas.SpecExample(VectorSchema, encoded, 10);
    }

    [Fact]
    public void Payload_manifest_and_content_id_match_the_spec_vector()
    {
        SignedDelta delta = VectorDelta(out byte[] payload);
        TestDeltas.AssertMatchesSpecVector("modulo-int8-delta", delta, payload);
    }

    [Fact]
    public void The_spec_vector_decodes_against_the_spec_receiver_to_the_senders_grid_values()
    {
        SignedDelta delta = VectorDelta(out _);
        SignedDelta verified = SignedDelta.Verify(delta.Body, new LocalMesh(TestDeltas.MeshId, TestDeltas.BaseModelHash, VectorSchema));
        byte[] payload = SpecVectors.Bytes("modulo-int8-delta", "payload");
        float[] values = DeltaDecoder.DecodeFlatAgainst(verified.Manifest, payload, VectorSide);

        // Q = round(x / s): a = [1126, −532, 257, 0, 128, −1024, 512, 768, 10, −20], b = [105, −52, 26, 0]; the value is Q·s
        // whatever the receiver's own state, as long as it is within 127 steps.
        int[] q = [1126, -532, 257, 0, 128, -1024, 512, 768, 10, -20, 105, -52, 26, 0];
        for (int i = 0; i < q.Length; i++)
        {
            float s = VectorSteps[i < 10 ? 0 : 1];
            Assert.Equal(q[i] * s, values[i]);
            Assert.True(Math.Abs(values[i] - VectorValues[i]) <= s / 2.0, $"element {i}: {VectorValues[i]} → {values[i]}");
        }

        // The sender decodes its own release to the same values (its state is its own perfect side information).
        Assert.Equal(values, DeltaDecoder.DecodeFlatAgainst(verified.Manifest, payload, VectorValues));
    }

    [Fact]
    public void A_receiver_one_element_of_which_is_more_than_127_steps_away_fails_the_check()
    {
        SignedDelta delta = VectorDelta(out byte[] payload);
        float[] side = (float[])VectorSide.Clone();
        side[2] = 0.451f; // 0.2 above a[2] = 0.251: 205 steps of 2^−10, so Q̂ = 513 instead of 257
        ProtocolException ex = Assert.Throws<ProtocolException>(() => DeltaDecoder.DecodeFlatAgainst(delta.Manifest, payload, side));
        Assert.Equal(ProtocolErrorCode.MalformedMessage, ex.Code);
        Assert.Contains("modulo int8 tensor 'a': block 0 (elements 0..9) fails its check", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decoding_without_the_receivers_own_state_is_a_caller_error()
    {
        SignedDelta delta = VectorDelta(out byte[] payload);
        Assert.True(DeltaDecoder.NeedsSideInformation(delta.Manifest));
        Assert.Throws<ArgumentException>(() => DeltaDecoder.DecodeFlat(delta.Manifest, payload));
        Assert.Throws<ArgumentException>(() => DeltaDecoder.DecodeFlatAgainst(delta.Manifest, payload, new float[13]));
    }

    [Theory]
    [InlineData(1, 0.9)]
    [InlineData(2, 0.99)]
    [InlineData(3, 0.5)]
    public void Round_trip_is_within_half_a_step_for_receivers_up_to_127_steps_away(int seed, double reach)
    {
        // Random states of ±1 with a step of 2^−12 and a receiver off by up to reach × 126.5 steps per element (126.5:
        // the sender's and the receiver's own rounding each take up to half a step off the 127 the code spans).
        float[] x = TestDeltas.RandomFlat(seed, TestDeltas.Schema, amplitude: 1f);
        float step = 1f / 4096;
        var random = new Random(seed);
        float[] y = x.Select(v => v + (float)((random.NextDouble() * 2 - 1) * reach * 126.5 * step)).ToArray();
        float[] steps = Enumerable.Repeat(step, TestDeltas.Schema.Tensors.Count).ToArray();
        EncodedDelta encoded = DeltaEncoder.EncodeFlatModulo(TestDeltas.Schema, x, steps);
        DeltaManifest manifest = SignedDelta.Create(TestDeltas.KeyFromSeed(1), TestDeltas.Header(1), encoded).Manifest;
        float[] back = DeltaDecoder.DecodeFlatAgainst(manifest, encoded.Payload.Span, y);
        for (int i = 0; i < x.Length; i++)
        {
            // Half a step plus a binary32 ulp of the value (Q̂ × s is one rounding; |x| ≤ 1 here).
            double bound = (step / 2.0) + 1.2e-7;
            Assert.True(Math.Abs(back[i] - x[i]) <= bound, $"element {i}: {x[i]} → {back[i]} against {y[i]}");
        }

        // 1 byte per element plus a u16 check per 64: 1792 + 2 × 28 bytes.
        Assert.Equal(TestDeltas.Schema.TotalElements + (2 * TestDeltas.Schema.Tensors.Sum(t => (t.ElementCount + 63) / 64)), encoded.Payload.Length);
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(63, 1)]
    [InlineData(17, -1)]
    [InlineData(40, 2)]
    [InlineData(5, -3)]
    public void One_wrapped_element_anywhere_in_a_block_is_detected(int element, int turns)
    {
        // The receiver's own value of one element is k·256 steps away from the sender's (so it decodes Q + k·256 there,
        // which no per-element rule could notice) and every other element matches: the block's check must refuse it.
        float[] x = TestDeltas.RandomFlat(7, TestDeltas.Schema, amplitude: 1f);
        float step = 1f / 4096;
        float[] y = (float[])x.Clone();
        y[element] += turns * 256 * step;
        float[] steps = Enumerable.Repeat(step, TestDeltas.Schema.Tensors.Count).ToArray();
        EncodedDelta encoded = DeltaEncoder.EncodeFlatModulo(TestDeltas.Schema, x, steps);
        DeltaManifest manifest = SignedDelta.Create(TestDeltas.KeyFromSeed(1), TestDeltas.Header(1), encoded).Manifest;
        ProtocolException ex = Assert.Throws<ProtocolException>(() => DeltaDecoder.DecodeFlatAgainst(manifest, encoded.Payload.Span, y));
        Assert.Contains("block 0 ", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_pair_of_opposite_wraps_in_a_block_is_detected()
    {
        // Two elements of one block wrapped in opposite directions leave the plain sum of the high parts unchanged; the
        // odd, distinct weights 2j + 1 do not. Checked exhaustively over all 64 × 63 ordered pairs of the first block.
        float[] x = TestDeltas.RandomFlat(8, TestDeltas.Schema, amplitude: 1f);
        float step = 1f / 4096;
        float[] steps = Enumerable.Repeat(step, TestDeltas.Schema.Tensors.Count).ToArray();
        EncodedDelta encoded = DeltaEncoder.EncodeFlatModulo(TestDeltas.Schema, x, steps);
        DeltaManifest manifest = SignedDelta.Create(TestDeltas.KeyFromSeed(1), TestDeltas.Header(1), encoded).Manifest;
        for (int i = 0; i < 64; i++)
        {
            for (int j = 0; j < 64; j++)
            {
                if (i == j)
                {
                    continue;
                }

                float[] y = (float[])x.Clone();
                y[i] += 256 * step;
                y[j] -= 256 * step;
                Assert.Throws<ProtocolException>(() => DeltaDecoder.DecodeFlatAgainst(manifest, encoded.Payload.Span, y));
            }
        }
    }

    [Fact]
    public void A_manifest_may_mix_int8_and_modulo_int8_tensors_and_each_decodes_by_its_own_code()
    {
        // "a" as int8 (its scale max|a| / 127, payload 10 bytes), "b" as modulo int8 with the §5.4 step (4 residues +
        // one u16 check): the sender picks the code per tensor and the manifest names it (§5.4).
        EncodedDelta encoded = DeltaEncoder.EncodeFlatMixed(VectorSchema, VectorValues, [TensorEncoding.Int8, TensorEncoding.ModuloInt8], [0f, VectorSteps[1]]);
        SignedDelta delta = TestDeltas.SpecExample(VectorSchema, encoded, 10);
        Assert.Equal([TensorEncoding.Int8, TensorEncoding.ModuloInt8], delta.Manifest.Tensors.Select(t => t.Encoding));
        Assert.Equal(1.1f / 127, delta.Manifest.Tensors[0].Scale);
        Assert.Equal(10 + 4 + 2, encoded.Payload.Length);
        Assert.True(DeltaDecoder.NeedsSideInformation(delta.Manifest));

        float[] decoded = DeltaDecoder.DecodeFlatAgainst(delta.Manifest, encoded.Payload.Span, VectorSide);
        for (int i = 0; i < 10; i++)
        {
            // int8 ignores the receiver's state: within half of its step of the sent value.
            Assert.True(Math.Abs(decoded[i] - VectorValues[i]) <= (1.1 / 127 / 2) + 1e-7, $"a[{i}]: {VectorValues[i]} → {decoded[i]}");
        }

        for (int i = 10; i < 14; i++)
        {
            Assert.True(Math.Abs(decoded[i] - VectorValues[i]) <= (VectorSteps[1] / 2.0) + 1e-9, $"b[{i - 10}]: {VectorValues[i]} → {decoded[i]}");
        }
    }

    [Fact]
    public void Every_byte_is_a_valid_residue()
    {
        // Unlike int8, 0x80 is not malformed: the code uses all 256 residues. A receiver whose own value is 0 decodes
        // byte 0x80 (−128 as a residue difference) to −128 steps and 0x7f to +127.
        SignedDelta delta = VectorDelta(out byte[] payload);
        byte[] changed = (byte[])payload.Clone();
        changed[2] = 0x80;
        changed[3] = 0x7f;
        float[] zeros = new float[VectorValues.Length];
        // The check covers the high parts: −128 → ⌊−128 / 256⌋ = −1 (weight 1), 127 → 0, the rest as decoded against 0.
        int[] q = [-128, 127, 1, 0, -128, 0, 0, 0, 10, -20];
        int check = q.Select((v, j) => ((2 * j) + 1) * (v >> 8)).Sum();
        changed[0] = unchecked((byte)check);
        changed[1] = unchecked((byte)(check >> 8));
        float[] values = DeltaDecoder.DecodeFlatAgainst(delta.Manifest, changed, zeros.Select((_, i) => i >= 10 ? VectorValues[i] : 0f).ToArray());
        Assert.Equal(-128f / 1024, values[0]);
        Assert.Equal(127f / 1024, values[1]);
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(0f)]
    [InlineData(-1f / 1024)]
    [InlineData(1e-39f)] // subnormal: 1 / s would overflow binary32
    public void A_step_that_is_not_a_finite_normal_positive_float_is_refused(float bad)
    {
        SignedDelta delta = VectorDelta(out _);
        DeltaManifest manifest = delta.Manifest with { Tensors = [delta.Manifest.Tensors[0] with { Scale = bad }, delta.Manifest.Tensors[1]] };
        Assert.Contains("is invalid for ModuloInt8", manifest.Problem(), StringComparison.Ordinal);
        ProtocolException ex = Assert.Throws<ProtocolException>(() => DeltaManifest.Decode(manifest.EncodeUnchecked()));
        Assert.Equal(ProtocolErrorCode.MalformedMessage, ex.Code);
    }

    [Fact]
    public void The_least_normal_step_is_accepted_and_a_receiver_too_far_from_zero_for_it_is_refused()
    {
        float least = BitConverter.UInt32BitsToSingle(0x00800000);
        Assert.True(ModuloCodec.IsValidScale(least));
        var schema = new AdapterSchema([new TensorInfo("a", [2])]);
        EncodedDelta encoded = DeltaEncoder.EncodeFlatModulo(schema, new float[] { 0f, 3 * least }, [least]);
        DeltaManifest manifest = SignedDelta.Create(TestDeltas.KeyFromSeed(1), TestDeltas.Header(1) with { Schema = schema }, encoded).Manifest;
        Assert.Null(manifest.Problem());
        Assert.Equal([0f, 3 * least], DeltaDecoder.DecodeFlatAgainst(manifest, encoded.Payload.Span, new float[] { least, 0f }));

        // A receiver whose own value is 1 is 2^126 steps from 0: beyond the 2^23 it decodes against.
        ProtocolException ex = Assert.Throws<ProtocolException>(() => DeltaDecoder.DecodeFlatAgainst(manifest, encoded.Payload.Span, new float[] { 1f, 0f }));
        Assert.Contains("more than 2^23 steps", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_sender_step_too_fine_for_its_values_is_refused_before_anything_is_sent()
    {
        // |x / s| must stay within 2^22 so Q and the receiver's arithmetic stay exact binary32 integers.
        var schema = new AdapterSchema([new TensorInfo("a", [1])]);
        Assert.Throws<ArgumentOutOfRangeException>(() => DeltaEncoder.EncodeFlatModulo(schema, new float[] { 1f }, [1f / 8388608]));
        Assert.Throws<ArgumentException>(() => DeltaEncoder.EncodeFlat(schema, new float[] { 1f }, TensorEncoding.ModuloInt8));
        _ = DeltaEncoder.EncodeFlatModulo(schema, new float[] { 1f }, [1f / 4194304]);
    }
}
