using FedMesh.Node.Learning;

namespace FedMesh.Node.Tests.Learning;

public sealed class PretrainProgressLinesTests
{
    private static List<int> LinesFor(int totalSteps, IEnumerable<int> reportedSteps)
    {
        var lines = new List<int>();
        var progress = new PretrainProgressLines((p, _) => lines.Add(p.Step));
        foreach (int step in reportedSteps)
        {
            progress.Report(new PretrainProgress(step, totalSteps, 1.0));
        }

        return lines;
    }

    [Fact]
    public void Every_step_reported_gives_one_line_per_tenth_the_last_step_included()
    {
        Assert.Equal([30, 60, 90, 120, 150, 180, 210, 240, 270, 300], LinesFor(300, Enumerable.Range(1, 300)));
    }

    [Fact]
    public void The_pretrainers_every_fiftieth_step_gives_a_line_whenever_a_tenth_is_crossed()
    {
        // 3,000 steps (the built-in base) reported every 50: ten lines, each at the first report past a tenth.
        Assert.Equal([300, 600, 900, 1200, 1500, 1800, 2100, 2400, 2700, 3000], LinesFor(3000, Enumerable.Range(1, 60).Select(i => i * 50)));
        // 300 steps reported every 50: every report crosses a tenth, so each gives its line, the last one included.
        Assert.Equal([50, 100, 150, 200, 250, 300], LinesFor(300, Enumerable.Range(1, 6).Select(i => i * 50)));
    }

    [Fact]
    public void A_run_shorter_than_ten_steps_gives_a_line_per_step_and_repeats_give_none()
    {
        Assert.Equal([1, 2, 3, 4, 5, 6, 7], LinesFor(7, [1, 2, 2, 3, 4, 5, 6, 7, 7]));
    }

    [Fact]
    public void A_run_without_a_step_count_reports_once_and_steps_past_the_end_add_nothing()
    {
        Assert.Equal([5], LinesFor(0, [5, 6]));
        Assert.Equal([10], LinesFor(10, [10, 11, 20]));
    }

    [Fact]
    public void Time_left_and_pace_follow_the_steps_done()
    {
        var halfway = new PretrainProgress(50, 100, 1.0);
        Assert.Equal(20.0, PretrainProgressLines.SecondsLeft(halfway, TimeSpan.FromSeconds(20)), 9);
        Assert.Equal(2.5, PretrainProgressLines.StepsPerSecond(halfway, TimeSpan.FromSeconds(20)), 9);
        Assert.True(double.IsNaN(PretrainProgressLines.SecondsLeft(new PretrainProgress(0, 100, 1.0), TimeSpan.FromSeconds(1))));
        Assert.Equal(50_000.0, PretrainProgressLines.StepsPerSecond(halfway, TimeSpan.Zero), 6);
        Assert.Equal("  pretrain step 50/100: loss 1.000, 2.5 steps/s", PretrainProgressLines.StepLine(halfway, TimeSpan.FromSeconds(20)));
    }
}
