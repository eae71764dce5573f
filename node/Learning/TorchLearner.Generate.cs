using FedMesh.Node.Learning.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace FedMesh.Node.Learning;

/// <summary>Text generation with the base plus the current adapter.</summary>
public sealed partial class TorchLearner
{
    /// <summary>
    /// Continues <paramref name="prompt"/> by sampling up to <see cref="GenerationOptions.MaxTokens"/> tokens (stops
    /// at the document separator): temperature, then nucleus (top-p) sampling from a seeded generator. The window is
    /// the last Context tokens (no key/value cache: generation here is for inspecting what the mesh learned).
    /// </summary>
    public string Generate(string prompt, GenerationOptions options) => _codec.Decode(GenerateIds(prompt, options));

    /// <summary>The sampled token ids of <see cref="Generate"/> (prompt excluded), each below the codec's
    /// <see cref="TokenCodec.DecodableIds"/>: logits of embedding rows the tokenizer has no token for are never drawn.</summary>
    internal int[] GenerateIds(string prompt, GenerationOptions options)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        ApplyThreads(_trainer.Threads);
        var ids = new List<int>(_codec.Prompt(prompt));
        int promptLength = ids.Count;
        var random = new Random(options.Seed);
        using IDisposable noGrad = no_grad();
        for (int step = 0; step < options.MaxTokens; step++)
        {
            using DisposeScope scope = NewDisposeScope();
            int start = Math.Max(0, ids.Count - _model.Context);
            long[] window = ids.Skip(start).Select(i => (long)i).ToArray();
            Tensor logits = _model.Forward(tensor(window, new long[] { 1, window.Length }), training: false)[0, window.Length - 1];
            int decodable = Math.Min(_model.VocabSize, _codec.DecodableIds);
            int next = Sample(logits.narrow(0, 0, decodable).data<float>().ToArray(), options, random);
            if (next == _codec.Separator)
            {
                break;
            }

            ids.Add(next);
        }

        return ids.Skip(promptLength).ToArray();
    }

    /// <summary>Greedy at temperature 0; else softmax(logits / T), keep the smallest top set with mass ≥ p, draw.</summary>
    internal static int Sample(float[] logits, GenerationOptions options, Random random)
    {
        int best = 0;
        for (int i = 1; i < logits.Length; i++)
        {
            best = logits[i] > logits[best] ? i : best;
        }

        if (options.Temperature == 0)
        {
            return best;
        }

        var probabilities = new double[logits.Length];
        double sum = 0;
        for (int i = 0; i < logits.Length; i++)
        {
            probabilities[i] = Math.Exp((logits[i] - logits[best]) / options.Temperature);
            sum += probabilities[i];
        }

        int[] order = Enumerable.Range(0, logits.Length).OrderByDescending(i => probabilities[i]).ToArray();
        double kept = 0;
        int count = 0;
        while (count < order.Length && kept < options.TopP * sum)
        {
            kept += probabilities[order[count++]];
        }

        double u = random.NextDouble() * kept;
        for (int k = 0; k < count; k++)
        {
            u -= probabilities[order[k]];
            if (u <= 0)
            {
                return order[k];
            }
        }

        return order[count - 1];
    }
}
