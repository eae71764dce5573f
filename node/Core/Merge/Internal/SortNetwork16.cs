using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FedMesh.Node.Merge.Internal;

/// <summary>
/// The order-statistics kernel's sort for 9 ≤ k ≤ 16 rows, unrolled: the 63 comparators of Batcher's network for 16
/// (exactly <see cref="SortingNetwork.Comparators"/>(16), in its order; generated from it) on 16 Vector512 locals,
/// which stay in the 32 AVX-512 registers. The generic loop reads its comparator pairs from an array and keeps the
/// rows in a stack buffer, so every comparator was two loads and two stores chained through store forwarding:
/// <c>fedmesh-bench merge</c> at k = 16 measured median and trimmed mean at 0.2–0.3× memcpy with it. Rows k..15
/// are +∞, which sorts after every finite value, so rows 0..k−1 end up holding the k inputs in order (inputs are
/// validated finite: <see cref="DeltaValidator"/>); at k = 16 the result is the generic network's bit for bit.
/// </summary>
internal static unsafe class SortNetwork16
{
    /// <summary>Rows this network sorts.</summary>
    public const int Rows = 16;

    /// <summary>Smallest k it takes: below 9 the generic network is already short (k = 8: 19 comparators) and
    /// padding to 16 would more than triple the work.</summary>
    public const int MinRows = 9;

    /// <summary>Loads coordinates [c, c + 16) of the first <paramref name="k"/> rows, sorts them lane-wise and stores
    /// the 16 sorted rows (ascending; rows ≥ k are +∞) to <paramref name="sorted"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    public static void Sort(nint* rows, int k, int c, Vector512<float>* sorted)
    {
        Vector512<float> s0 = Vector512.Load((float*)rows[0] + c);
        Vector512<float> s1 = Vector512.Load((float*)rows[1] + c);
        Vector512<float> s2 = Vector512.Load((float*)rows[2] + c);
        Vector512<float> s3 = Vector512.Load((float*)rows[3] + c);
        Vector512<float> s4 = Vector512.Load((float*)rows[4] + c);
        Vector512<float> s5 = Vector512.Load((float*)rows[5] + c);
        Vector512<float> s6 = Vector512.Load((float*)rows[6] + c);
        Vector512<float> s7 = Vector512.Load((float*)rows[7] + c);
        Vector512<float> s8 = Vector512.Load((float*)rows[8] + c);
        Vector512<float> s9 = k > 9 ? Vector512.Load((float*)rows[9] + c) : Vector512.Create(float.PositiveInfinity);
        Vector512<float> s10 = k > 10 ? Vector512.Load((float*)rows[10] + c) : Vector512.Create(float.PositiveInfinity);
        Vector512<float> s11 = k > 11 ? Vector512.Load((float*)rows[11] + c) : Vector512.Create(float.PositiveInfinity);
        Vector512<float> s12 = k > 12 ? Vector512.Load((float*)rows[12] + c) : Vector512.Create(float.PositiveInfinity);
        Vector512<float> s13 = k > 13 ? Vector512.Load((float*)rows[13] + c) : Vector512.Create(float.PositiveInfinity);
        Vector512<float> s14 = k > 14 ? Vector512.Load((float*)rows[14] + c) : Vector512.Create(float.PositiveInfinity);
        Vector512<float> s15 = k > 15 ? Vector512.Load((float*)rows[15] + c) : Vector512.Create(float.PositiveInfinity);

        // Batcher's odd-even merge sort for 16 (SortingNetwork.Comparators(16)), one line per comparator.
        (s0, s1) = (Vector512.MinNative(s0, s1), Vector512.MaxNative(s0, s1));
        (s2, s3) = (Vector512.MinNative(s2, s3), Vector512.MaxNative(s2, s3));
        (s4, s5) = (Vector512.MinNative(s4, s5), Vector512.MaxNative(s4, s5));
        (s6, s7) = (Vector512.MinNative(s6, s7), Vector512.MaxNative(s6, s7));
        (s8, s9) = (Vector512.MinNative(s8, s9), Vector512.MaxNative(s8, s9));
        (s10, s11) = (Vector512.MinNative(s10, s11), Vector512.MaxNative(s10, s11));
        (s12, s13) = (Vector512.MinNative(s12, s13), Vector512.MaxNative(s12, s13));
        (s14, s15) = (Vector512.MinNative(s14, s15), Vector512.MaxNative(s14, s15));
        (s0, s2) = (Vector512.MinNative(s0, s2), Vector512.MaxNative(s0, s2));
        (s1, s3) = (Vector512.MinNative(s1, s3), Vector512.MaxNative(s1, s3));
        (s4, s6) = (Vector512.MinNative(s4, s6), Vector512.MaxNative(s4, s6));
        (s5, s7) = (Vector512.MinNative(s5, s7), Vector512.MaxNative(s5, s7));
        (s8, s10) = (Vector512.MinNative(s8, s10), Vector512.MaxNative(s8, s10));
        (s9, s11) = (Vector512.MinNative(s9, s11), Vector512.MaxNative(s9, s11));
        (s12, s14) = (Vector512.MinNative(s12, s14), Vector512.MaxNative(s12, s14));
        (s13, s15) = (Vector512.MinNative(s13, s15), Vector512.MaxNative(s13, s15));
        (s1, s2) = (Vector512.MinNative(s1, s2), Vector512.MaxNative(s1, s2));
        (s5, s6) = (Vector512.MinNative(s5, s6), Vector512.MaxNative(s5, s6));
        (s9, s10) = (Vector512.MinNative(s9, s10), Vector512.MaxNative(s9, s10));
        (s13, s14) = (Vector512.MinNative(s13, s14), Vector512.MaxNative(s13, s14));
        (s0, s4) = (Vector512.MinNative(s0, s4), Vector512.MaxNative(s0, s4));
        (s1, s5) = (Vector512.MinNative(s1, s5), Vector512.MaxNative(s1, s5));
        (s2, s6) = (Vector512.MinNative(s2, s6), Vector512.MaxNative(s2, s6));
        (s3, s7) = (Vector512.MinNative(s3, s7), Vector512.MaxNative(s3, s7));
        (s8, s12) = (Vector512.MinNative(s8, s12), Vector512.MaxNative(s8, s12));
        (s9, s13) = (Vector512.MinNative(s9, s13), Vector512.MaxNative(s9, s13));
        (s10, s14) = (Vector512.MinNative(s10, s14), Vector512.MaxNative(s10, s14));
        (s11, s15) = (Vector512.MinNative(s11, s15), Vector512.MaxNative(s11, s15));
        (s2, s4) = (Vector512.MinNative(s2, s4), Vector512.MaxNative(s2, s4));
        (s3, s5) = (Vector512.MinNative(s3, s5), Vector512.MaxNative(s3, s5));
        (s10, s12) = (Vector512.MinNative(s10, s12), Vector512.MaxNative(s10, s12));
        (s11, s13) = (Vector512.MinNative(s11, s13), Vector512.MaxNative(s11, s13));
        (s1, s2) = (Vector512.MinNative(s1, s2), Vector512.MaxNative(s1, s2));
        (s3, s4) = (Vector512.MinNative(s3, s4), Vector512.MaxNative(s3, s4));
        (s5, s6) = (Vector512.MinNative(s5, s6), Vector512.MaxNative(s5, s6));
        (s9, s10) = (Vector512.MinNative(s9, s10), Vector512.MaxNative(s9, s10));
        (s11, s12) = (Vector512.MinNative(s11, s12), Vector512.MaxNative(s11, s12));
        (s13, s14) = (Vector512.MinNative(s13, s14), Vector512.MaxNative(s13, s14));
        (s0, s8) = (Vector512.MinNative(s0, s8), Vector512.MaxNative(s0, s8));
        (s1, s9) = (Vector512.MinNative(s1, s9), Vector512.MaxNative(s1, s9));
        (s2, s10) = (Vector512.MinNative(s2, s10), Vector512.MaxNative(s2, s10));
        (s3, s11) = (Vector512.MinNative(s3, s11), Vector512.MaxNative(s3, s11));
        (s4, s12) = (Vector512.MinNative(s4, s12), Vector512.MaxNative(s4, s12));
        (s5, s13) = (Vector512.MinNative(s5, s13), Vector512.MaxNative(s5, s13));
        (s6, s14) = (Vector512.MinNative(s6, s14), Vector512.MaxNative(s6, s14));
        (s7, s15) = (Vector512.MinNative(s7, s15), Vector512.MaxNative(s7, s15));
        (s4, s8) = (Vector512.MinNative(s4, s8), Vector512.MaxNative(s4, s8));
        (s5, s9) = (Vector512.MinNative(s5, s9), Vector512.MaxNative(s5, s9));
        (s6, s10) = (Vector512.MinNative(s6, s10), Vector512.MaxNative(s6, s10));
        (s7, s11) = (Vector512.MinNative(s7, s11), Vector512.MaxNative(s7, s11));
        (s2, s4) = (Vector512.MinNative(s2, s4), Vector512.MaxNative(s2, s4));
        (s3, s5) = (Vector512.MinNative(s3, s5), Vector512.MaxNative(s3, s5));
        (s6, s8) = (Vector512.MinNative(s6, s8), Vector512.MaxNative(s6, s8));
        (s7, s9) = (Vector512.MinNative(s7, s9), Vector512.MaxNative(s7, s9));
        (s10, s12) = (Vector512.MinNative(s10, s12), Vector512.MaxNative(s10, s12));
        (s11, s13) = (Vector512.MinNative(s11, s13), Vector512.MaxNative(s11, s13));
        (s1, s2) = (Vector512.MinNative(s1, s2), Vector512.MaxNative(s1, s2));
        (s3, s4) = (Vector512.MinNative(s3, s4), Vector512.MaxNative(s3, s4));
        (s5, s6) = (Vector512.MinNative(s5, s6), Vector512.MaxNative(s5, s6));
        (s7, s8) = (Vector512.MinNative(s7, s8), Vector512.MaxNative(s7, s8));
        (s9, s10) = (Vector512.MinNative(s9, s10), Vector512.MaxNative(s9, s10));
        (s11, s12) = (Vector512.MinNative(s11, s12), Vector512.MaxNative(s11, s12));
        (s13, s14) = (Vector512.MinNative(s13, s14), Vector512.MaxNative(s13, s14));

        sorted[0] = s0;
        sorted[1] = s1;
        sorted[2] = s2;
        sorted[3] = s3;
        sorted[4] = s4;
        sorted[5] = s5;
        sorted[6] = s6;
        sorted[7] = s7;
        sorted[8] = s8;
        sorted[9] = s9;
        sorted[10] = s10;
        sorted[11] = s11;
        sorted[12] = s12;
        sorted[13] = s13;
        sorted[14] = s14;
        sorted[15] = s15;
    }
}
