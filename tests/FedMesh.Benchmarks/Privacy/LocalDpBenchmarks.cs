using BenchmarkDotNet.Attributes;
using FedMesh.Node.Privacy;

namespace FedMesh.Benchmarks.Privacy;

/// <summary>
/// Cost of privatising one outgoing delta of 4 M floats (the adapter size the brief targets): clipping, and the
/// Gaussian noise from the CSPRNG (production) and from the seeded generator (simulation).
/// Run: dotnet run -c Release --project tests/FedMesh.Benchmarks -- --filter '*LocalDpBenchmarks*'
/// </summary>
[MemoryDiagnoser]
public class LocalDpBenchmarks
{
    /// <summary>4 M coordinates = 16 MB of float32, the largest adapter delta we plan for.</summary>
    private const int Length = 4 * 1024 * 1024;

    private readonly float[] _delta = new float[Length];
    private readonly GaussianNoiseSource _secure = GaussianNoiseSource.CreateSecure();
    private readonly GaussianNoiseSource _seeded = GaussianNoiseSource.CreateSeeded(1);

    [GlobalSetup]
    public void Setup() => GaussianNoiseSource.CreateSeeded(7).AddNoise(_delta, 0.01);

    [Benchmark]
    public double ClipOnly() => DeltaClipping.ClipInPlace(_delta, 1.0);

    [Benchmark]
    public void AddNoiseSecure() => _secure.AddNoise(_delta, 1e-6);

    [Benchmark]
    public void AddNoiseSeeded() => _seeded.AddNoise(_delta, 1e-6);

    [Benchmark]
    public void PrivatizeSecure() => LocalDpMechanism.PrivatizeInPlace(_delta, 1.0, 1e-6, _secure);
}

/// <summary>Cost of the accountant: one composed RDP curve over orders 2..256 and its conversion to ε.</summary>
public class RdpAccountantBenchmarks
{
    [Benchmark]
    public double SubsampledCurveAndEpsilon()
    {
        double[] rdp = RdpAccountant.ComposedRdp(RdpAccountant.DefaultOrders, 0.01, 1.1, 10_000);
        return RdpAccountant.EpsilonImproved(rdp, RdpAccountant.DefaultOrders, 1e-5).Epsilon;
    }
}
