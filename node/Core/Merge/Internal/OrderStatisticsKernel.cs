using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FedMesh.Node.Merge.Internal;

/// <summary>
/// Coordinate-wise median / trimmed mean without sorting each coordinate: 16 coordinates at a time, the k input
/// values of those coordinates are loaded into k Vector512 rows and sorted across rows by a Batcher network of
/// lane-wise min/max (each lane is an independent coordinate), then the sorted rows are combined with the
/// <see cref="QuantileWeights"/> coefficients. Unequal weights travel with their values through the network
/// (compare mask + blend). Tails (d mod 16) and k above <see cref="MaxNetworkRows"/> use a scalar sort.
/// </summary>
[SkipLocalsInit] // the row buffers are fully written before being read; zeroing them per group cost as much as the sort
internal static unsafe class OrderStatisticsKernel
{
    /// <summary>Largest k sorted by the network: 64 rows × 64 B = 4 KiB of stack per buffer, L1-resident.</summary>
    public const int MaxNetworkRows = 64;

    /// <summary>Coordinates per network pass: one Vector512 of floats.</summary>
    private const int Lanes = 16;

    /// <summary>
    /// Whether groups go through the vector network. Also when the runtime reports Vector512 as not accelerated
    /// (DOTNET_PreferredVectorBitWidth=256, or CPUs where .NET prefers 256-bit vectors by default) but Vector256 is:
    /// Vector512 code then runs as two 256-bit halves, still far ahead of the scalar sort, which used to take over
    /// here and made median and trimmed mean ~9× slower at k = 16 (`fedmesh bench merge --k 16`: median 0.17 → 0.02
    /// × memcpy with DOTNET_PreferredVectorBitWidth=256 on this machine).
    /// </summary>
    private static bool UseNetwork => Vector512.IsHardwareAccelerated || Vector256.IsHardwareAccelerated;

    /// <param name="path">Which code sorts (tests compare them): <see cref="OrderStatisticsPath.Auto"/> in production.</param>
    public static void Run(PinnedRows rows, int d, float[] weights, QuantileWeights rule, nint destination, int maxDop, OrderStatisticsPath path = OrderStatisticsPath.Auto) =>
        Run(rows.Addresses, d, weights, rule, destination, maxDop, path);

    /// <summary>The same over k rows of d floats at fixed addresses <paramref name="x"/> (pinned, or on the caller's
    /// stack).</summary>
    public static void Run(nint[] x, int d, float[] weights, QuantileWeights rule, nint destination, int maxDop, OrderStatisticsPath path = OrderStatisticsPath.Auto)
    {
        int k = x.Length;
        bool uniform = true;
        foreach (float w in weights)
        {
            uniform &= w == weights[0];
        }

        int[] network = SortingNetwork.Comparators(k);

        // Equal weights are replaced by 1: cumulative sums are then exact small integers, so the median's
        // "h exactly on a boundary" test is exact in the scalar tail too. (Loops, not LINQ: the merge's copy evidence
        // takes two medians of a few short rows per merge, where the per-call overhead is most of the cost.)
        if (uniform)
        {
            weights = new float[k];
            Array.Fill(weights, 1f);
        }

        float total = 0f;
        foreach (float w in weights)
        {
            total += w;
        }

        // Equal weights: the coefficient of sorted row j is the same in every lane, so compute it once.
        var rowCoefficients = new float[k];
        int used = 0;
        for (int j = 0; j < k; j++)
        {
            rowCoefficients[j] = rule.Coefficient(j, j + 1, k);
            used += rowCoefficients[j] != 0f ? 1 : 0;
        }

        int[] usedRows = new int[used];
        for (int j = 0, u = 0; j < k; j++)
        {
            if (rowCoefficients[j] != 0f)
            {
                usedRows[u++] = j;
            }
        }

        CoordinateBlocks.For(d, CoordinateBlocks.BlockLength(k), maxDop, (start, len) =>
        {
            float* dst = (float*)destination;
            int vectorEnd = k <= MaxNetworkRows && UseNetwork && path != OrderStatisticsPath.Scalar ? start + (len & ~(Lanes - 1)) : start;
            if (uniform && path == OrderStatisticsPath.Auto && k is >= SortNetwork16.MinRows and <= SortNetwork16.Rows)
            {
                Uniform16Groups(x, rowCoefficients, usedRows, start, vectorEnd, dst);
            }
            else if (uniform)
            {
                UniformGroups(x, network, rowCoefficients, usedRows, start, vectorEnd, dst);
            }
            else
            {
                WeightedGroups(x, weights, total, network, rule, start, vectorEnd, dst);
            }

            if (vectorEnd < start + len)
            {
                Scalar(x, weights, total, rule, vectorEnd, start + len, dst);
            }
        });
    }

    /// <summary>Equal weights, 9 ≤ k ≤ 16: the unrolled register network (<see cref="SortNetwork16"/>), then the
    /// same coefficient sum as <see cref="UniformGroup"/>, in the same order.</summary>
    private static void Uniform16Groups(nint[] x, float[] rowCoefficients, int[] usedRows, int from, int to, float* dst)
    {
        int k = x.Length;
        Vector512<float>* v = stackalloc Vector512<float>[SortNetwork16.Rows];
        fixed (nint* rows = x)
        {
            for (int c = from; c < to; c += Lanes)
            {
                SortNetwork16.Sort(rows, k, c, v);
                Vector512<float> acc = Vector512<float>.Zero;
                foreach (int j in usedRows)
                {
                    acc += v[j] * Vector512.Create(rowCoefficients[j]);
                }

                acc.Store(dst + c);
            }
        }
    }

    private static void UniformGroups(nint[] x, int[] network, float[] rowCoefficients, int[] usedRows, int from, int to, float* dst)
    {
        int k = x.Length;
        Vector512<float>* v = stackalloc Vector512<float>[k];
        for (int c = from; c < to; c += Lanes)
        {
            UniformGroup(x, network, rowCoefficients, usedRows, c, v, dst);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void UniformGroup(nint[] x, int[] network, float[] rowCoefficients, int[] usedRows, int c, Vector512<float>* v, float* dst)
    {
        int k = x.Length;
        for (int i = 0; i < k; i++)
        {
            v[i] = Vector512.Load((float*)x[i] + c);
        }

        for (int p = 0; p < network.Length; p += 2)
        {
            int a = network[p];
            int b = network[p + 1];
            Vector512<float> va = v[a];
            Vector512<float> vb = v[b];
            // Inputs are validated finite, so the NaN-agnostic native min/max (vminps/vmaxps) is exact.
            v[a] = Vector512.MinNative(va, vb);
            v[b] = Vector512.MaxNative(va, vb);
        }

        Vector512<float> acc = Vector512<float>.Zero;
        foreach (int j in usedRows)
        {
            acc += v[j] * Vector512.Create(rowCoefficients[j]);
        }

        acc.Store(dst + c);
    }

    private static void WeightedGroups(nint[] x, float[] weights, float total, int[] network, QuantileWeights rule, int from, int to, float* dst)
    {
        int k = x.Length;
        Vector512<float>* v = stackalloc Vector512<float>[k];
        Vector512<float>* w = stackalloc Vector512<float>[k];
        for (int c = from; c < to; c += Lanes)
        {
            WeightedGroup(x, weights, total, network, rule, c, v, w, dst);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void WeightedGroup(nint[] x, float[] weights, float total, int[] network, QuantileWeights rule, int c, Vector512<float>* v, Vector512<float>* w, float* dst)
    {
        int k = x.Length;
        for (int i = 0; i < k; i++)
        {
            v[i] = Vector512.Load((float*)x[i] + c);
            w[i] = Vector512.Create(weights[i]);
        }

        for (int p = 0; p < network.Length; p += 2)
        {
            int a = network[p];
            int b = network[p + 1];
            Vector512<float> va = v[a];
            Vector512<float> vb = v[b];
            Vector512<float> swap = Vector512.GreaterThan(va, vb);
            v[a] = Vector512.ConditionalSelect(swap, vb, va);
            v[b] = Vector512.ConditionalSelect(swap, va, vb);
            Vector512<float> wa = w[a];
            Vector512<float> wb = w[b];
            w[a] = Vector512.ConditionalSelect(swap, wb, wa);
            w[b] = Vector512.ConditionalSelect(swap, wa, wb);
        }

        Vector512<float> acc = Vector512<float>.Zero;
        Vector512<float> before = Vector512<float>.Zero;
        for (int j = 0; j < k; j++)
        {
            Vector512<float> after = before + w[j];
            acc += v[j] * rule.Coefficient(before, after, total);
            before = after;
        }

        acc.Store(dst + c);
    }

    private static void Scalar(nint[] x, float[] weights, float total, QuantileWeights rule, int from, int to, float* dst)
    {
        int k = x.Length;
        var values = new float[k];
        var w = new float[k];
        for (int c = from; c < to; c++)
        {
            for (int i = 0; i < k; i++)
            {
                values[i] = ((float*)x[i])[c];
                w[i] = weights[i];
            }

            values.AsSpan().Sort(w.AsSpan());
            float acc = 0f;
            float before = 0f;
            for (int j = 0; j < k; j++)
            {
                float after = before + w[j];
                acc += values[j] * rule.Coefficient(before, after, total);
                before = after;
            }

            dst[c] = acc;
        }
    }
}
