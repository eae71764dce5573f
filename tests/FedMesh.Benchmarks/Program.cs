using BenchmarkDotNet.Running;

namespace FedMesh.Benchmarks;

public static class BenchmarkProgram
{
    public static void Main(string[] args) =>
        BenchmarkSwitcher.FromAssembly(typeof(BenchmarkProgram).Assembly).Run(args);
}
