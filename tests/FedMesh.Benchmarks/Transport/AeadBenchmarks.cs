using BenchmarkDotNet.Attributes;
using FedMesh.Protocol.Security;
using FedMesh.Protocol.Security.Internal;
using FedMesh.Protocol.Wire;

namespace FedMesh.Benchmarks.Transport;

/// <summary>
/// Sealing and opening one 1 MiB DeltaChunk frame per suite, as the channel does it (header as associated data,
/// counter nonce, in-place open). Throughput = 1 MiB / mean time.
/// </summary>
[MemoryDiagnoser]
public class AeadBenchmarks
{
    private const int BodyBytes = 1024 * 1024;

    private readonly byte[] _body = new byte[BodyBytes];
    private byte[] _frame = null!;
    private byte[] _payload = null!;
    private readonly byte[] _key = new byte[32];
    private FrameProtector _sealer = null!;
    private FrameHeader _header;

    [Params(CipherSuite.ChaCha20Poly1305, CipherSuite.Aes256Gcm, CipherSuite.Aegis256)]
    public CipherSuite Suite { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        new Random(1).NextBytes(_body);
        _sealer = new FrameProtector(Suite, _key);
        _frame = new byte[FrameHeader.Size + BodyBytes + _sealer.TagSize];
        _payload = new byte[BodyBytes + _sealer.TagSize];
        _header = new FrameHeader(FrameType.DeltaChunk, _payload.Length);
    }

    [GlobalCleanup]
    public void Cleanup() => _sealer.Dispose();

    [Benchmark]
    public int Seal_1MiB() => _sealer.Seal(FrameType.DeltaChunk, _body, _frame);

    /// <summary>Seal then open with a fresh receiver at the same counter (opening needs the matching nonce).</summary>
    [Benchmark]
    public int Seal_and_open_1MiB()
    {
        using var sealer = new FrameProtector(Suite, _key);
        using var opener = new FrameProtector(Suite, _key);
        sealer.Seal(FrameType.DeltaChunk, _body, _frame);
        _frame.AsSpan(FrameHeader.Size).CopyTo(_payload);
        return opener.OpenInPlace(_header, _payload);
    }
}
