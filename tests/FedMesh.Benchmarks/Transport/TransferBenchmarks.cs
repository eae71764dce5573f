using BenchmarkDotNet.Attributes;
using FedMesh.Protocol.Security;
using FedMesh.Protocol.Transport;

namespace FedMesh.Benchmarks.Transport;

/// <summary>
/// 64 MiB one-direction over loopback TCP: plain socket copy (baseline) vs the secure channel per suite
/// (handshake included, ~1 ms of ~50 ms). Target: secure ≥ 0.45 × plain.
/// </summary>
[SimpleJob(warmupCount: 2, iterationCount: 10)]
public class TransferBenchmarks
{
    private const long Bytes = 64L * 1024 * 1024;

    private readonly byte[] _payload = new byte[Bytes];
    private readonly byte[] _copy = new byte[Bytes];

    [GlobalSetup]
    public void Setup() => new Random(1).NextBytes(_payload);

    [Benchmark(Baseline = true)]
    public Task<TransferMeasurement> Plain_socket_64MiB() => TransferProbe.PlainAsync(Bytes);

    /// <summary>The `fedmesh-bench transfer` baseline: 64 MiB of distinct bytes copied into a payload-sized buffer.</summary>
    [Benchmark]
    public Task<TransferMeasurement> Plain_copy_64MiB() => TransferProbe.PlainCopyAsync(_payload, _copy);

    [Benchmark]
    public Task<TransferMeasurement> Secure_AES256GCM_64MiB() => TransferProbe.SecureAsync(Bytes, CipherSuite.Aes256Gcm | CipherSuite.ChaCha20Poly1305);

    [Benchmark]
    public Task<TransferMeasurement> Secure_AEGIS256_64MiB() => TransferProbe.SecureAsync(Bytes, CipherSuite.Aegis256 | CipherSuite.ChaCha20Poly1305);

    [Benchmark]
    public Task<TransferMeasurement> Secure_ChaCha20Poly1305_64MiB() => TransferProbe.SecureAsync(Bytes, CipherSuite.ChaCha20Poly1305);
}
