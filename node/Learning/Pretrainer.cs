using FedMesh.Node.Learning.Internal;
using TorchSharp.Modules;

namespace FedMesh.Node.Learning;

/// <summary>Progress of a pretraining run: steps done of total, and the mean loss since the last report.</summary>
public sealed record PretrainProgress(int Step, int TotalSteps, double Loss);

/// <summary>Trains a base model from scratch: every weight trains (no adapters), AdamW, seeded batches and init.</summary>
public static class Pretrainer
{
    /// <summary>Reports every 50 steps: frequent enough for a live display, rare enough to cost nothing.</summary>
    private const int ReportEvery = 50;

    /// <summary>Pretrains on the options' corpus file.</summary>
    public static BaseModel Train(PretrainOptions options, IProgress<PretrainProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return Train(options, JsonlGzCorpus.ReadTexts(options.ResolvedCorpusPath), progress, cancellationToken);
    }

    /// <summary>Pretrains on given documents; cancellation throws <see cref="OperationCanceledException"/>.</summary>
    public static BaseModel Train(PretrainOptions options, IReadOnlyList<string> documents, IProgress<PretrainProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        TrainerOptions t = options.Trainer;
        TorchLearner.ApplyThreads(t.Threads);
        var sampler = new BatchSampler(ByteStream.Concatenate(documents), t.BatchSize, options.Model.Context, new Random(t.Seed));
        using ByteTransformer model = ByteTransformer.CreateRandom(options.Model, t.Seed);
        model.SetBaseTrainable(true);
        Parameter[] all = model.BaseParameters.Select(p => p.Parameter).ToArray();
        var runner = new StepRunner(model, all, sampler, t);
        double window = 0;
        int inWindow = 0;
        for (int step = 1; step <= options.Steps; step++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            window += runner.Step();
            inWindow++;
            if (step % ReportEvery == 0 || step == options.Steps)
            {
                progress?.Report(new PretrainProgress(step, options.Steps, window / inWindow));
                window = 0;
                inWindow = 0;
            }
        }

        model.SetBaseTrainable(false);
        return model.ToBase();
    }
}
