using BenchmarkDotNet.Attributes;
using FedMesh.Protocol.Deltas;

namespace FedMesh.Benchmarks.Wire;

/// <summary>
/// BLAKE3 of one 1 MiB delta chunk, as the sender's manifest and the receiver's chunk check compute it (the
/// <c>Blake3</c> package through <see cref="ContentHash"/>). This is the optimised (tier-1) figure after BenchmarkDotNet's
/// warm-up; the <c>fedmesh</c> executable disables tiered compilation so its hashing runs this code from the first call
/// (issue 12: the package's kernels at tier 0 ran ~10× slower).
/// </summary>
[MemoryDiagnoser]
public class ContentHashBenchmarks
{
    private readonly byte[] _chunk = new byte[1 << 20];
    private readonly byte[] _hash = new byte[32];

    [GlobalSetup]
    public void Setup() => new Random(1).NextBytes(_chunk);

    [Benchmark]
    public void ContentHash_1MiB() => ContentHash.Compute(_chunk, _hash);
}
