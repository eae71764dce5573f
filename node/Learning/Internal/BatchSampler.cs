using TorchSharp;
using static TorchSharp.torch;

namespace FedMesh.Node.Learning.Internal;

/// <summary>
/// Draws training windows of Context+1 bytes at uniformly random offsets of the byte stream, from a seeded
/// <see cref="Random"/>: the same seed and documents give the same batches. Reuses one index buffer.
/// </summary>
internal sealed class BatchSampler
{
    private readonly int[] _stream;
    private readonly int _batch;
    private readonly int _window;
    private readonly long[] _buffer;
    private readonly Random _random;

    public BatchSampler(byte[] stream, int batchSize, int context, Random random)
        : this(Array.ConvertAll(stream, b => (int)b), batchSize, context, random)
    {
    }

    /// <summary>Windows over a token stream (ids of a tokenizer; bytes for the built-in model).</summary>
    public BatchSampler(int[] stream, int batchSize, int context, Random random)
    {
        _window = context + 1;
        if (stream.Length < _window + 1)
        {
            throw new ArgumentException(
                $"training documents hold {stream.Length} tokens; at least {_window + 1} (context + 2) are needed", nameof(stream));
        }

        _stream = stream;
        _batch = batchSize;
        _buffer = new long[batchSize * _window];
        _random = random;
    }

    /// <summary>A fresh [batch, context+1] int64 tensor (caller disposes, usually via a dispose scope).</summary>
    public Tensor Next()
    {
        int maxStart = _stream.Length - _window;
        for (int b = 0; b < _batch; b++)
        {
            int start = _random.Next(0, maxStart + 1);
            int row = b * _window;
            for (int t = 0; t < _window; t++)
            {
                _buffer[row + t] = _stream[start + t];
            }
        }

        return torch.tensor(_buffer, new long[] { _batch, _window }, ScalarType.Int64);
    }
}
