using BenchmarkDotNet.Attributes;
using FedMesh.Protocol.Deltas;

namespace FedMesh.Benchmarks.Wire;

/// <summary>
/// BLAKE3 of one 1 MiB delta chunk, as the sender's manifest and the receiver's chunk check compute it: the project's
/// <see cref="ContentHash"/> (Blake3Wide on AVX-512F CPUs) against the <c>Blake3</c> package it replaces there. The
/// package figure is its tier-1 code after BenchmarkDotNet's warm-up: the best case, which a node reaches only once the
/// runtime has promoted the package's kernels (issue 12).
/// </summary>
[MemoryDiagnoser]
public class ContentHashBenchmarks
{
    private readonly byte[] _chunk = new byte[1 << 20];
    private readonly byte[] _hash = new byte[32];

    [GlobalSetup]
    public void Setup() => new Random(1).NextBytes(_chunk);

    [Benchmark(Baseline = true)]
    public void Blake3_package_1MiB() => Blake3.Hasher.Hash(_chunk, _hash);

    [Benchmark]
    public void ContentHash_1MiB() => ContentHash.Compute(_chunk, _hash);
}
