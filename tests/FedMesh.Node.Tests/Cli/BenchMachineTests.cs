using System.Text.Json.Nodes;
using FedMesh.Node.Cli;

namespace FedMesh.Node.Tests.Cli;

public class BenchMachineTests
{
    [Fact]
    public void Bench_json_keeps_the_figures_and_adds_cpu_features_libraries_and_runtime()
    {
        JsonObject json = JsonNode.Parse(BenchMachine.Json(new { ratio = 0.5, cipher = "Aegis256" }))!.AsObject();

        Assert.Equal(0.5, json["ratio"]!.GetValue<double>());
        Assert.Equal("Aegis256", json["cipher"]!.GetValue<string>());
        Assert.Equal(Environment.ProcessorCount, json["cpu"]!["logical_cores"]!.GetValue<int>());
        Assert.Equal(System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated, json["features"]!["vector512_accelerated"]!.GetValue<bool>());
        Assert.Matches(@"^\d+\.\d+\.\d+", json["libraries"]!["blake3_package"]!.GetValue<string>());
        Assert.Matches(@"^\d+\.\d+\.\d+", json["libraries"]!["libsodium"]!.GetValue<string>());
        Assert.StartsWith(".NET", json["runtime"]!["framework"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public void Bench_json_text_from_a_hand_written_writer_gets_the_same_fields()
    {
        JsonObject json = JsonNode.Parse(BenchMachine.Json("{\"steps_s\":1.5}"))!.AsObject();

        Assert.Equal(1.5, json["steps_s"]!.GetValue<double>());
        Assert.NotNull(json["cpu"]);
        Assert.NotNull(json["features"]);
    }

    /// <summary>Family and model decoded from CPUID leaf 1 must be what the kernel prints (the issue compared these).</summary>
    [Fact]
    public void Cpu_family_and_model_from_cpuid_equal_proc_cpuinfo()
    {
        string? family = BenchMachine.ProcCpuInfo("cpu family");
        string? model = BenchMachine.ProcCpuInfo("model");
        if (!System.Runtime.Intrinsics.X86.X86Base.IsSupported || family is null || model is null)
        {
            return; // not x86 Linux: nothing to compare with
        }

        JsonObject cpu = BenchMachine.Cpu();
        Assert.Equal(int.Parse(family, System.Globalization.CultureInfo.InvariantCulture), cpu["family"]!.GetValue<int>());
        Assert.Equal(int.Parse(model, System.Globalization.CultureInfo.InvariantCulture), cpu["model"]!.GetValue<int>());
    }
}
