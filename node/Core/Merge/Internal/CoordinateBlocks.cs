namespace FedMesh.Node.Merge.Internal;

/// <summary>
/// Splits the d coordinates into blocks that are processed independently (every rule here is separable per
/// coordinate or needs only per-block partial sums), optionally on several cores.
/// </summary>
internal static class CoordinateBlocks
{
    /// <summary>
    /// Bytes of the k input rows one block covers: 256 KiB is a quarter of a 1 MiB L2 (this CPU; 2 MiB per core
    /// on newer ones), so the k slices plus the output slice stay cache-resident while a block is revisited k times.
    /// </summary>
    private const int TargetBlockBytes = 256 * 1024;

    /// <summary>Never go below 1024 floats: shorter slices make the per-call overhead of TensorPrimitives visible.</summary>
    private const int MinBlockLength = 1024;

    /// <summary>Block length for k rows, a multiple of 64 so 16-lane groups never straddle blocks.</summary>
    public static int BlockLength(int k)
    {
        int len = TargetBlockBytes / (sizeof(float) * Math.Max(1, k));
        return Math.Max(MinBlockLength, len & ~63);
    }

    /// <summary>Runs body(start, length) over all blocks of [0, d), on up to maxDop threads.</summary>
    public static void For(int d, int blockLength, int maxDop, Action<int, int> body)
    {
        int blocks = (d + blockLength - 1) / blockLength;
        if (maxDop <= 1 || blocks <= 1)
        {
            for (int b = 0; b < blocks; b++)
            {
                int start = b * blockLength;
                body(start, Math.Min(blockLength, d - start));
            }

            return;
        }

        Parallel.For(0, blocks, new ParallelOptions { MaxDegreeOfParallelism = maxDop }, b =>
        {
            int start = b * blockLength;
            body(start, Math.Min(blockLength, d - start));
        });
    }

    /// <summary>
    /// Like <see cref="For"/>, with a per-thread accumulator of <paramref name="width"/> doubles that is summed
    /// into the returned array at the end (partial sums of distances).
    /// </summary>
    public static double[] Sum(int d, int blockLength, int maxDop, int width, Action<int, int, double[]> body)
    {
        var total = new double[width];
        int blocks = (d + blockLength - 1) / blockLength;
        if (maxDop <= 1 || blocks <= 1)
        {
            for (int b = 0; b < blocks; b++)
            {
                int start = b * blockLength;
                body(start, Math.Min(blockLength, d - start), total);
            }

            return total;
        }

        var gate = new object();
        Parallel.For(
            0,
            blocks,
            new ParallelOptions { MaxDegreeOfParallelism = maxDop },
            () => new double[width],
            (b, _, local) =>
            {
                int start = b * blockLength;
                body(start, Math.Min(blockLength, d - start), local);
                return local;
            },
            local =>
            {
                lock (gate)
                {
                    for (int i = 0; i < width; i++)
                    {
                        total[i] += local[i];
                    }
                }
            });
        return total;
    }
}
