using System.Diagnostics;
using System.Globalization;

namespace FedMesh.Node.Learning;

/// <summary>
/// A pretraining run's progress thinned to one line per tenth of its steps (the last step included), for callers that
/// print lines instead of a live bar: the daemon's log on a first start, the demo and netsim in a pipe. The pretrainer
/// reports every 50 steps, 60 reports for the built-in base's 3,000 steps; ten lines say the run is alive without
/// flooding a log. Each line gets the time since this object was made. Reports synchronously on the training thread
/// (<see cref="Progress{T}"/> would post each one to the thread pool, out of order with the caller's other output).
/// </summary>
public sealed class PretrainProgressLines(Action<PretrainProgress, TimeSpan> line) : IProgress<PretrainProgress>
{
    /// <summary>Lines per run.</summary>
    public const int Lines = 10;

    private readonly long _start = Stopwatch.GetTimestamp();
    private int _lastLine;

    public void Report(PretrainProgress value)
    {
        ArgumentNullException.ThrowIfNull(value);
        int due = value.TotalSteps <= 0 ? Lines : (int)Math.Clamp((long)value.Step * Lines / value.TotalSteps, 0, Lines);
        if (due <= _lastLine)
        {
            return;
        }

        _lastLine = due;
        line(value, Stopwatch.GetElapsedTime(_start));
    }

    /// <summary>Seconds left at the pace so far: elapsed × steps left / steps done (NaN before the first step).</summary>
    public static double SecondsLeft(PretrainProgress progress, TimeSpan elapsed)
    {
        ArgumentNullException.ThrowIfNull(progress);
        return progress.Step > 0 ? elapsed.TotalSeconds * (progress.TotalSteps - progress.Step) / progress.Step : double.NaN;
    }

    /// <summary>The plain line the demo and netsim print for a report: step, loss and pace ("  pretrain step 300/3000:
    /// loss 1.234, 16.2 steps/s").</summary>
    public static string StepLine(PretrainProgress progress, TimeSpan elapsed)
    {
        ArgumentNullException.ThrowIfNull(progress);
        return string.Create(CultureInfo.InvariantCulture,
            $"  pretrain step {progress.Step}/{progress.TotalSteps}: loss {progress.Loss:F3}, {StepsPerSecond(progress, elapsed):F1} steps/s");
    }

    /// <summary>Steps per second so far (elapsed floored at 1 ms, so a first report cannot divide by zero).</summary>
    public static double StepsPerSecond(PretrainProgress progress, TimeSpan elapsed)
    {
        ArgumentNullException.ThrowIfNull(progress);
        return progress.Step / Math.Max(elapsed.TotalSeconds, 1e-3);
    }
}
