using FedMesh.Protocol.Deltas;
using NSec.Cryptography;

namespace FedMesh.Protocol.Tests.Deltas;

/// <summary>Shared fixtures: a small schema, deterministic keys and a signed delta built from seeded values.</summary>
internal static class TestDeltas
{
    public static readonly byte[] MeshId = Enumerable.Repeat((byte)0x11, 32).ToArray();

    public static readonly byte[] BaseModelHash = Enumerable.Repeat((byte)0x22, 32).ToArray();

    public static readonly AdapterSchema Schema = new([
        new TensorInfo("layers.0.attn.q.lora_a", [8, 64]),
        new TensorInfo("layers.0.attn.q.lora_b", [64, 8]),
        new TensorInfo("layers.1.mlp.up.lora_a", [8, 96]),
    ]);

    public static LocalMesh Local => new(MeshId, BaseModelHash, Schema);

    /// <summary>An Ed25519 key from a 32-byte seed (deterministic: RFC 8032 derives everything from the seed).</summary>
    public static Key KeyFromSeed(byte first)
    {
        byte[] seed = Enumerable.Range(first, 32).Select(i => (byte)i).ToArray();
        return Key.Import(SignatureAlgorithm.Ed25519, seed, KeyBlobFormat.RawPrivateKey,
            new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport });
    }

    public static float[] RandomFlat(int seed, AdapterSchema schema, float amplitude = 0.05f)
    {
        var rng = new Random(seed);
        float[] flat = new float[schema.TotalElements];
        for (int i = 0; i < flat.Length; i++)
        {
            flat[i] = (float)((rng.NextDouble() * 2) - 1) * amplitude;
        }

        return flat;
    }

    public static DeltaHeader Header(ulong sequence, int chunkSize = 512) => new()
    {
        MeshId = MeshId,
        BaseModelHash = BaseModelHash,
        Schema = Schema,
        Sequence = sequence,
        Timestamp = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero),
        Privacy = new DpParameters(1.0, 0.8, 0.01),
        ChunkSize = chunkSize,
    };

    /// <summary>A SPEC.md §5.4 example delta: §5.7's key, mesh id and base-model hash, timestamp 1767225600000, DP off,
    /// chunk size 16.</summary>
    public static SignedDelta SpecExample(AdapterSchema schema, EncodedDelta encoded, ulong sequence) =>
        SignedDelta.Create(KeyFromSeed(1), new DeltaHeader
        {
            MeshId = MeshId,
            BaseModelHash = BaseModelHash,
            Schema = schema,
            Sequence = sequence,
            Timestamp = DateTimeOffset.FromUnixTimeMilliseconds(1_767_225_600_000),
            Privacy = new DpParameters(0, 0, null),
            ChunkSize = 16,
        }, encoded);

    /// <summary>The payload, manifest and content id of a SPEC.md §5.4 example vector, byte for byte.</summary>
    public static void AssertMatchesSpecVector(string vector, SignedDelta delta, ReadOnlySpan<byte> payload)
    {
        Assert.Equal(SpecVectors.Text(vector, "payload"), Convert.ToHexStringLower(payload));
        Assert.Equal(SpecVectors.Text(vector, "manifest"), Convert.ToHexStringLower(delta.Message.Manifest.Span));
        Assert.Equal(SpecVectors.Text(vector, "content_id"), Convert.ToHexStringLower(delta.ContentId));
    }

    /// <summary>A signed fp32 delta of <see cref="Schema"/> (8·64·2 + 8·96 = 1792 floats = 7168 bytes, 14 chunks of 512).</summary>
    public static (SignedDelta Delta, byte[] Payload) Signed(Key key, ulong sequence = 1, int chunkSize = 512, int seed = 1, SignatureMemo? memo = null)
    {
        EncodedDelta encoded = DeltaEncoder.EncodeFlat(Schema, RandomFlat(seed, Schema), TensorEncoding.Float32);
        return (SignedDelta.Create(key, Header(sequence, chunkSize), encoded, memo), encoded.Payload.ToArray());
    }
}
