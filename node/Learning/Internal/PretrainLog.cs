using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace FedMesh.Node.Learning.Internal;

/// <summary>
/// Pretraining progress as log lines, for callers that show no progress of their own (<c>fedmesh run</c> on a first
/// start pretrains the built-in base for minutes; without these lines the log stops at "cache miss" until it is done).
/// One line per tenth of the steps, with the loss and an estimate of the time left from the pace so far.
/// </summary>
internal sealed class PretrainLog(ILogger logger, int totalSteps) : IProgress<PretrainProgress>
{
    /// <summary>Lines per run: every tenth of the steps says the run is alive without flooding the log.</summary>
    private const int Lines = 10;

    private readonly long _start = Stopwatch.GetTimestamp();
    private int _lastTenth;

    public void Report(PretrainProgress value)
    {
        ArgumentNullException.ThrowIfNull(value);
        int tenth = totalSteps <= 0 ? Lines : (int)((long)value.Step * Lines / totalSteps);
        if (tenth <= _lastTenth)
        {
            return;
        }

        _lastTenth = tenth;
        double elapsed = Stopwatch.GetElapsedTime(_start).TotalSeconds;
        double left = value.Step > 0 ? elapsed * (value.TotalSteps - value.Step) / value.Step : double.NaN;
        Log.PretrainStep(logger, value.Step, value.TotalSteps, LanguageModelMath.BitsPerByte(value.Loss), Math.Round(left));
    }
}
