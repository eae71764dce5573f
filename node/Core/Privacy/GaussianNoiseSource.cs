using FedMesh.Node.Privacy.Internal;

namespace FedMesh.Node.Privacy;

/// <summary>
/// Gaussian noise from random 64-bit words through <see cref="GaussianSampling.BoxMuller"/>, in chunks so any
/// delta length (millions of coordinates) runs in constant memory with vectorised log/sqrt/sin/cos.
/// <see cref="CreateSecure"/> draws the words from the OS CSPRNG (the default for every release);
/// <see cref="CreateSeeded"/> from xoshiro256** for reproducible tests and simulation only.
/// Not thread-safe: one instance per releasing thread.
/// </summary>
public sealed class GaussianNoiseSource : IGaussianNoiseSource
{
    /// <summary>Normals per chunk: 4096 doubles × 3 buffers = 96 KiB, stays in L2 and amortises the RNG call.</summary>
    private const int ChunkSize = 4096;

    private readonly IRandomWords _words;
    private readonly ulong[] _wordBuffer = new ulong[ChunkSize];
    private readonly double[] _normals = new double[ChunkSize];
    private readonly double[] _scratch = new double[ChunkSize];

    private GaussianNoiseSource(IRandomWords words) => _words = words;

    /// <summary>Noise from <see cref="System.Security.Cryptography.RandomNumberGenerator"/>: unpredictable to peers.</summary>
    public static GaussianNoiseSource CreateSecure() => new(new CryptoRandomWords());

    /// <summary>Deterministic noise for tests and the simulator. Never use it for a real release.</summary>
    public static GaussianNoiseSource CreateSeeded(ulong seed) => new(new Xoshiro256StarStar(seed));

    public void AddNoise(Span<float> target, double standardDeviation)
    {
        if (!(standardDeviation >= 0) || !double.IsFinite(standardDeviation))
        {
            throw new ArgumentOutOfRangeException(nameof(standardDeviation), standardDeviation, "noise std must be finite and >= 0");
        }

        while (!target.IsEmpty)
        {
            int count = Math.Min(ChunkSize, target.Length);
            int even = (count + 1) & ~1;
            _words.Fill(_wordBuffer.AsSpan(0, even));
            GaussianSampling.BoxMuller(_wordBuffer.AsSpan(0, even), _normals, _scratch);
            Span<float> part = target[..count];
            ReadOnlySpan<double> normals = _normals.AsSpan(0, count);
            for (int i = 0; i < part.Length; i++)
            {
                // Sum in double, round once to float (see GaussianSampling remarks).
                part[i] = (float)(part[i] + (standardDeviation * normals[i]));
            }

            target = target[count..];
        }
    }

    /// <summary>Fills <paramref name="destination"/> with standard normals (testing and diagnostics).</summary>
    public void FillStandardNormals(Span<double> destination)
    {
        while (!destination.IsEmpty)
        {
            int count = Math.Min(ChunkSize, destination.Length);
            int even = (count + 1) & ~1;
            _words.Fill(_wordBuffer.AsSpan(0, even));
            GaussianSampling.BoxMuller(_wordBuffer.AsSpan(0, even), _normals, _scratch);
            _normals.AsSpan(0, count).CopyTo(destination);
            destination = destination[count..];
        }
    }
}
