using FedMesh.Node.Learning.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace FedMesh.Node.Learning;

/// <summary>Held-out scoring: cross-entropy over consecutive Context-byte windows of the documents.</summary>
public sealed partial class TorchLearner
{
    /// <summary>Windows scored per forward pass: bounds memory (64 × 64 × 256 logits ≈ 4 MiB).</summary>
    private const int EvalBatchWindows = 64;

    public Evaluation Evaluate(IReadOnlyList<string> documents)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return Score(documents);
    }

    public Evaluation Evaluate(IReadOnlyList<string> documents, ReadOnlySpan<float> adapter)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        RequireLength(adapter.Length, "adapter");
        float[] saved = GetAdapter();
        SetAdapter(adapter);
        try
        {
            return Score(documents);
        }
        finally
        {
            SetAdapter(saved);
        }
    }

    /// <summary>The frozen base alone: an all-zero adapter contributes exactly nothing (B = 0).</summary>
    public Evaluation EvaluateBase(IReadOnlyList<string> documents) =>
        Evaluate(documents, new float[Schema.TotalElements]);

    private Evaluation Score(IReadOnlyList<string> documents)
    {
        ArgumentNullException.ThrowIfNull(documents);
        byte[] stream = ByteStream.Concatenate(documents, _trainer.MaxEvalBytes);
        if (stream.Length < 2)
        {
            throw new ArgumentException("evaluation documents hold fewer than 2 bytes", nameof(documents));
        }

        ApplyThreads(_trainer.Threads);
        int context = _model.Options.Context;
        int full = (stream.Length - 1) / context;
        int tail = (stream.Length - 1) - (full * context);
        double nats = 0;
        using (no_grad())
        {
            for (int first = 0; first < full; first += EvalBatchWindows)
            {
                int count = Math.Min(EvalBatchWindows, full - first);
                nats += WindowLoss(stream, first * context, count, context);
            }

            if (tail > 0)
            {
                nats += WindowLoss(stream, full * context, 1, tail);
            }
        }

        long predicted = stream.Length - 1;
        double mean = nats / predicted;
        return new Evaluation(mean, LanguageModelMath.BitsPerByte(mean), predicted);
    }

    /// <summary>Summed loss of <paramref name="count"/> windows of <paramref name="time"/> predictions from <paramref name="start"/>.</summary>
    private double WindowLoss(byte[] stream, int start, int count, int time)
    {
        using DisposeScope scope = NewDisposeScope();
        var indices = new long[count * (time + 1)];
        for (int w = 0; w < count; w++)
        {
            for (int t = 0; t <= time; t++)
            {
                indices[(w * (time + 1)) + t] = stream[start + (w * time) + t];
            }
        }

        Tensor windows = tensor(indices, new long[] { count, time + 1 });
        return _model.Loss(windows, training: false, sum: true).item<float>();
    }
}
