using BenchmarkDotNet.Attributes;
using FedMesh.Protocol.Deltas;
using NSec.Cryptography;

namespace FedMesh.Benchmarks.Wire;

/// <summary>
/// Cost of producing and checking a signed delta (SPEC.md §5): signing = BLAKE3 of every chunk + Ed25519 over
/// the manifest; verifying = manifest decode + Ed25519 verify; assembling = BLAKE3 of every received chunk.
/// Payload: a 4 MiB fp32 delta (1 M parameters, a rank-8 LoRA of a small model) in 1 MiB chunks.
/// </summary>
[MemoryDiagnoser]
public class SignedDeltaBenchmarks
{
    private const int Parameters = 1 << 20;

    private readonly Key _key = Key.Import(SignatureAlgorithm.Ed25519, Enumerable.Range(1, 32).Select(i => (byte)i).ToArray(), KeyBlobFormat.RawPrivateKey);
    private AdapterSchema _schema = null!;
    private EncodedDelta _encoded = null!;
    private DeltaHeader _header = null!;
    private SignedDelta _signed = null!;
    private LocalMesh _local = null!;
    private byte[] _payload = null!;
    private float[] _flat = null!;
    private byte[] _signingInput = null!;

    [GlobalSetup]
    public void Setup()
    {
        _schema = new AdapterSchema([new TensorInfo("lora_a", [8, Parameters / 16]), new TensorInfo("lora_b", [Parameters / 16, 8])]);
        var rng = new Random(1);
        _flat = Enumerable.Range(0, Parameters).Select(_ => (float)(rng.NextDouble() - 0.5) * 0.01f).ToArray();
        _encoded = DeltaEncoder.EncodeFlat(_schema, _flat, TensorEncoding.Float32);
        _payload = _encoded.Payload.ToArray();
        byte[] mesh = new byte[32], model = new byte[32];
        _header = new DeltaHeader
        {
            MeshId = mesh,
            BaseModelHash = model,
            Schema = _schema,
            Sequence = 1,
            Timestamp = DateTimeOffset.UnixEpoch,
            Privacy = new DpParameters(1, 1, null),
        };
        _signed = SignedDelta.Create(_key, _header, _encoded);
        _local = new LocalMesh(mesh, model, _schema);
        _signingInput = [.. "fedmesh-delta-manifest-v1"u8, .. _signed.Message.Manifest.Span];
        if (!Ed25519_verify_reference())
        {
            throw new InvalidOperationException("reference verification input is wrong");
        }
    }

    /// <summary>Reference: the raw BLAKE3 cost of the 4 MiB payload (what Create and Assemble add to).</summary>
    [Benchmark]
    public byte[] Blake3_4MiB_reference() => ContentHash.Compute(_payload);

    /// <summary>Reference: one raw Ed25519 verification (what Verify_manifest adds to).</summary>
    [Benchmark]
    public bool Ed25519_verify_reference() =>
        SignatureAlgorithm.Ed25519.Verify(_key.PublicKey, _signingInput, _signed.Message.Signature.Span);

    [GlobalCleanup]
    public void Cleanup() => _key.Dispose();

    /// <summary>Chunk hashing of 4 MiB + manifest encode + Ed25519 sign.</summary>
    [Benchmark]
    public SignedDelta Create_4MiB() => SignedDelta.Create(_key, _header, _encoded);

    /// <summary>Manifest decode (canonical check) + compatibility + Ed25519 verify: the per-manifest cost at a relay.</summary>
    [Benchmark]
    public SignedDelta Verify_manifest() => SignedDelta.Verify(_signed.Body, _local);

    /// <summary>Receiving all four 1 MiB chunks: BLAKE3 per chunk and copy into the buffer.</summary>
    [Benchmark]
    public int Assemble_4MiB()
    {
        var assembler = new DeltaAssembler(_signed);
        for (int i = 0; i < assembler.ChunkCount; i++)
        {
            assembler.Accept(i, _payload.AsSpan(i * DeltaLimits.DefaultChunkSize, _signed.Manifest.ChunkLength(i)));
        }

        return assembler.ReceivedCount;
    }

    [Benchmark]
    public EncodedDelta Encode_fp16_1M() => DeltaEncoder.EncodeFlat(_schema, _flat, TensorEncoding.Float16);

    [Benchmark]
    public EncodedDelta Encode_int8_1M() => DeltaEncoder.EncodeFlat(_schema, _flat, TensorEncoding.Int8);
}
