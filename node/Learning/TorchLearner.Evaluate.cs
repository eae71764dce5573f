using FedMesh.Node.Learning.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace FedMesh.Node.Learning;

/// <summary>Held-out scoring: cross-entropy over consecutive Context-token windows of the documents, per byte of text.</summary>
public sealed partial class TorchLearner
{
    /// <summary>Logits scored per forward pass: 2^20 floats (4 MiB) bounds memory whatever the vocabulary — 64 windows
    /// of 64 bytes for the built-in model (as before bases were pluggable), one window at a time for a 50 k vocabulary.</summary>
    private const long EvalBatchLogits = 1 << 20;

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
        TokenStream scored = _codec.Stream(documents, _trainer.MaxEvalBytes);
        int[] stream = scored.Tokens;
        if (stream.Length < 2 || scored.Bytes == 0)
        {
            throw new ArgumentException("evaluation documents hold fewer than 2 tokens", nameof(documents));
        }

        ApplyThreads(_trainer.Threads);
        int context = _model.Context;
        int windowsPerPass = (int)Math.Max(1, EvalBatchLogits / ((long)context * _model.VocabSize));
        int full = (stream.Length - 1) / context;
        int tail = (stream.Length - 1) - (full * context);
        double nats = 0;
        using (no_grad())
        {
            for (int first = 0; first < full; first += windowsPerPass)
            {
                int count = Math.Min(windowsPerPass, full - first);
                nats += WindowLoss(stream, first * context, count, context);
            }

            if (tail > 0)
            {
                nats += WindowLoss(stream, full * context, 1, tail);
            }
        }

        LinuxMemory.TrimHeap();
        double mean = nats / scored.Bytes;
        return new Evaluation(mean, LanguageModelMath.BitsPerByte(mean), scored.Bytes);
    }

    /// <summary>Summed loss of <paramref name="count"/> windows of <paramref name="time"/> predictions from <paramref name="start"/>.</summary>
    private double WindowLoss(int[] stream, int start, int count, int time)
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
