using BenchmarkDotNet.Attributes;
using FedMesh.Node.Merge;

namespace FedMesh.Benchmarks.Merge;

/// <summary>
/// Single-core cost of each aggregation rule on cache-sized inputs (d = 256 Ki floats, 1 MiB per delta), with a
/// copy of the same bytes as the baseline. The memory-bound 4 Mi-float figures come from `fedmesh-bench merge`.
/// </summary>
[MemoryDiagnoser]
public class AggregationBenchmarks
{
    private const int D = 256 * 1024;

    private ReadOnlyMemory<float>[] _rows = [];
    private float[][] _copies = [];
    private float[] _weights = [];
    private readonly float[] _destination = new float[D];

    [Params(8, 16, 32)]
    public int K { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(7);
        _rows = Enumerable.Range(0, K)
            .Select(_ => (ReadOnlyMemory<float>)Enumerable.Range(0, D).Select(_ => (random.NextSingle() * 2f) - 1f).ToArray())
            .ToArray();
        _copies = Enumerable.Range(0, K).Select(_ => new float[D]).ToArray();
        _weights = Enumerable.Repeat(1f, K).ToArray();
    }

    [Benchmark(Baseline = true)]
    public void Memcpy()
    {
        for (int i = 0; i < K; i++)
        {
            _rows[i].Span.CopyTo(_copies[i]);
        }
    }

    [Benchmark]
    public void Mean() => Aggregation.WeightedMean(_rows, _weights, _destination);

    [Benchmark]
    public void Median() => Aggregation.CoordinateMedian(_rows, _weights, _destination);

    [Benchmark]
    public void TrimmedMean() => Aggregation.TrimmedMean(_rows, _weights, 0.2, _destination);

    [Benchmark]
    public RuleReport MultiKrum() => Aggregation.MultiKrum(_rows, _weights, 2, 0, _destination);

    [Benchmark]
    public RuleReport GeometricMedian() => Aggregation.GeometricMedian(_rows, _weights, _destination);

    [Benchmark]
    public RuleReport CenteredClipping() => Aggregation.CenteredClipping(_rows, _weights, default, 0, 3, _destination);
}
