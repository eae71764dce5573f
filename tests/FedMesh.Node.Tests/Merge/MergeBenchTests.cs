using FedMesh.Node.Attacks;
using FedMesh.Node.Merge;
using FedMesh.Node.Merge.Bench;

namespace FedMesh.Node.Tests.Merge;

public sealed class MergeBenchTests
{
    [Fact]
    public void Merge_bench_reports_every_rule_for_every_k_with_a_memcpy_baseline()
    {
        var options = MergeBenchOptions.Default with { Ks = [3, 5], Length = 4099, Repeats = 1, Warmups = 0, MaxDegreeOfParallelism = 1 };
        (IReadOnlyList<MergeBenchResult> rules, IReadOnlyList<MergeBenchResult> memcpy) = MergeBenchmark.Run(options, TimeProvider.System);
        Assert.Equal(2 * AggregationRuleNames.All.Count, rules.Count);
        Assert.Equal([3, 5], memcpy.Select(m => m.K));
        Assert.Equal(
            ["mean", "median", "trimmed_mean", "multi_krum", "geometric_median", "centered_clipping"],
            rules.Where(r => r.K == 5).Select(r => r.Rule));
        Assert.All(rules, r => Assert.True(r.GbPerSecond > 0 && r.RatioToMemcpy > 0 && r.D == 4099));
    }

    [Theory]
    [InlineData("8,16,32", true, "")]
    [InlineData(" 4 , 7", true, "")]
    [InlineData("8,x", false, "'x' is not an integer in 1..256")]
    [InlineData("0", false, "'0' is not an integer")]
    [InlineData("257", false, "'257'")]
    [InlineData("", false, "no k given")]
    public void K_lists_are_parsed_or_rejected_naming_the_bad_item(string text, bool ok, string error)
    {
        Assert.Equal(ok, MergeBenchCommands.TryParseKs(text, out int[] ks, out string message));
        Assert.Contains(error, message, StringComparison.Ordinal);
        Assert.Equal(ok, ks.Length > 0);
    }

    [Fact]
    public void Robustness_scenario_without_attack_has_zero_error_for_the_mean()
    {
        var scenario = RobustnessScenario.Default with { Length = 256 };
        Assert.True(scenario.RelativeError(AggregationRule.Mean, null) < 1e-6);
        Assert.True(scenario.RelativeError(AggregationRule.Mean, AttackKind.Scaling) > 10);
    }
}
