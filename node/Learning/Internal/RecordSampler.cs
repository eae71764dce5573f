using System.Text;
using FedMesh.Node.Privacy.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace FedMesh.Node.Learning.Internal;

/// <summary>
/// The batches of record-level DP-SGD (<see cref="DpSgdOptions"/>): every record (document) joins a step
/// independently with probability q (Poisson sampling, the sampler the subsampled-Gaussian RDP bound assumes;
/// Mironov, Talwar, Zhang 2019, §3), and a joining record contributes exactly one window of Context+1 bytes at a
/// uniformly random offset. A record shorter than a window contributes all of its bytes; the missing targets are
/// <see cref="IgnoredTarget"/> (no loss) and the missing inputs the separator. Randomness comes from 64-bit words:
/// the OS CSPRNG in a node (the batch a record joined must stay as secret as the noise), a seeded generator in tests.
/// </summary>
internal sealed class RecordSampler
{
    /// <summary>cross_entropy's default ignore_index: targets with this value add no loss and no gradient.</summary>
    public const long IgnoredTarget = -100;

    /// <summary>Random words drawn per refill: 512 words (4 KiB) amortise the CSPRNG call over a few steps.</summary>
    private const int WordBuffer = 512;

    private readonly int[][] _records;
    private readonly int _context;
    private readonly int _padding;
    private readonly double _logOneMinusQ;
    private readonly IRandomWords _words;
    private readonly ulong[] _buffer = new ulong[WordBuffer];
    private readonly List<int> _drawn = [];
    private int _next = WordBuffer;

    /// <param name="documents">The records; each is its UTF-8 bytes followed by the document separator.</param>
    /// <param name="samplingRate">q in (0, 1].</param>
    public RecordSampler(IReadOnlyList<string> documents, int context, double samplingRate, IRandomWords words)
        : this(ByteRecords(documents), ByteStream.Separator, context, samplingRate, words)
    {
    }

    /// <param name="records">Each record's token ids, its separator included.</param>
    /// <param name="padding">Input id of the positions past a short record's end (their targets are ignored).</param>
    public RecordSampler(int[][] records, int padding, int context, double samplingRate, IRandomWords words)
    {
        ArgumentNullException.ThrowIfNull(records);
        if (records.Length == 0)
        {
            throw new ArgumentException("record-level DP-SGD needs at least one training record", nameof(records));
        }

        if (!(samplingRate > 0 && samplingRate <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(samplingRate), samplingRate, "sampling rate must be in (0, 1]");
        }

        _records = records;
        _padding = padding;
        _context = context;
        SamplingRate = samplingRate;
        _logOneMinusQ = samplingRate < 1 ? Math.Log(1 - samplingRate) : double.NegativeInfinity;
        _words = words;
    }

    public int RecordCount => _records.Length;

    public double SamplingRate { get; }

    /// <summary>
    /// The records of one step, ascending. Instead of n coin flips, the gaps between joining records are drawn:
    /// the number of records skipped before the next one joins is Geometric(q), P(k) = (1−q)^k q, obtained as
    /// ⌊ln U / ln(1−q)⌋ for U uniform on (0, 1] (inversion), so a step costs O(qn) instead of O(n).
    /// </summary>
    public IReadOnlyList<int> Draw()
    {
        _drawn.Clear();
        if (SamplingRate >= 1)
        {
            _drawn.AddRange(Enumerable.Range(0, _records.Length));
            return _drawn;
        }

        long index = -1;
        while (true)
        {
            double skip = Math.Floor(Math.Log(UniformOpenZero()) / _logOneMinusQ);
            index += 1 + (skip >= _records.Length ? _records.Length : (long)skip);
            if (index >= _records.Length)
            {
                return _drawn;
            }

            _drawn.Add((int)index);
        }
    }

    /// <summary>Windows of the given records: inputs [b, Context] and targets [b, Context] (int64; caller disposes).</summary>
    public (Tensor Input, Tensor Target) Windows(IReadOnlyList<int> records)
    {
        int b = records.Count;
        var input = new long[b * _context];
        var target = new long[b * _context];
        for (int i = 0; i < b; i++)
        {
            int[] record = _records[records[i]];
            int window = _context + 1;
            int start = record.Length > window ? (int)UniformBelow((ulong)(record.Length - window + 1)) : 0;
            int available = Math.Min(window, record.Length) - 1; // predicted bytes of this window
            int row = i * _context;
            for (int t = 0; t < _context; t++)
            {
                bool valid = t < available;
                input[row + t] = valid ? record[start + t] : _padding;
                target[row + t] = valid ? record[start + t + 1] : IgnoredTarget;
            }
        }

        return (torch.tensor(input, new long[] { b, _context }, ScalarType.Int64), torch.tensor(target, new long[] { b, _context }, ScalarType.Int64));
    }

    /// <summary>Each document's UTF-8 bytes followed by the separator, as token ids.</summary>
    private static int[][] ByteRecords(IReadOnlyList<string> documents)
    {
        ArgumentNullException.ThrowIfNull(documents);
        return documents.Select(d =>
        {
            byte[] bytes = Encoding.UTF8.GetBytes(d);
            var ids = new int[bytes.Length + 1];
            for (int i = 0; i < bytes.Length; i++)
            {
                ids[i] = bytes[i];
            }

            ids[^1] = ByteStream.Separator;
            return ids;
        }).ToArray();
    }

    private ulong NextWord()
    {
        if (_next == WordBuffer)
        {
            _words.Fill(_buffer);
            _next = 0;
        }

        return _buffer[_next++];
    }

    private double UniformOpenZero() => Privacy.GaussianSampling.UniformOpenZero(NextWord());

    /// <summary>Uniform integer in [0, bound) by rejection (Lemire 2019's unbiased bounded draw, simple form).</summary>
    private ulong UniformBelow(ulong bound)
    {
        ulong limit = ulong.MaxValue - (ulong.MaxValue % bound);
        while (true)
        {
            ulong w = NextWord();
            if (w < limit)
            {
                return w % bound;
            }
        }
    }
}
