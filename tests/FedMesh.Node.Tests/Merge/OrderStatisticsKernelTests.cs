using System.Runtime.InteropServices;
using FedMesh.Node.Merge.Internal;

namespace FedMesh.Node.Tests.Merge;

/// <summary>
/// The unrolled 16-row register network (<see cref="SortNetwork16"/>) against the scalar sort (the reference) and the
/// generic network, on the same inputs: results must be equal exactly, not approximately, since all three sort the
/// same values and sum the same coefficients in the same order.
/// </summary>
public sealed class OrderStatisticsKernelTests
{
    /// <summary>Two blocks at k = 16 (block length 4096) and a tail of 7 coordinates the scalar sort handles.</summary>
    private const int D = 4096 + 1024 + 7;

    public static TheoryData<int, bool, float> Cases()
    {
        var data = new TheoryData<int, bool, float>();
        foreach (int k in (int[])[9, 10, 11, 12, 13, 15, 16])
        {
            data.Add(k, true, 0f);
            data.Add(k, false, 2f / k); // integer trim: drop two per side
            data.Add(k, false, 0.15f); // fractional: the boundary values count in part
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_register_network_equals_the_scalar_reference_and_the_generic_network_exactly(int k, bool median, float beta)
    {
        float[][] rows = Awkward(k, D, seed: k);
        var rule = new QuantileWeights(median, beta);

        float[] reference = RunPath(rows, rule, OrderStatisticsPath.Scalar);
        float[] generic = RunPath(rows, rule, OrderStatisticsPath.GenericNetwork);
        float[] registers = RunPath(rows, rule, OrderStatisticsPath.Auto);

        AssertSame(reference, generic, "generic network vs scalar");
        AssertSame(reference, registers, "register network vs scalar");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void At_k_16_the_register_network_is_the_generic_network_bit_for_bit_even_on_values_the_validator_refuses(bool median)
    {
        // NaN and ±∞ never reach the kernels (DeltaValidator rejects them); whatever the generic network made of them,
        // the register network, the same comparators in the same order, makes too.
        float[][] rows = Awkward(16, D, seed: 99);
        var random = new Random(5);
        foreach (float bad in (float[])[float.NaN, float.PositiveInfinity, float.NegativeInfinity])
        {
            for (int n = 0; n < 200; n++)
            {
                rows[random.Next(16)][random.Next(D)] = bad;
            }
        }

        var rule = new QuantileWeights(median, median ? 0f : 0.125f);
        float[] generic = RunPath(rows, rule, OrderStatisticsPath.GenericNetwork);
        float[] registers = RunPath(rows, rule, OrderStatisticsPath.Auto);
        for (int i = 0; i < D; i++)
        {
            Assert.True(BitConverter.SingleToInt32Bits(generic[i]) == BitConverter.SingleToInt32Bits(registers[i]),
                $"coordinate {i}: generic {generic[i]} vs register {registers[i]}");
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Small_inputs_copied_onto_the_stack_give_the_pinned_kernels_bits(bool median)
    {
        // Aggregation copies inputs of up to 4,096 floats onto the stack instead of pinning them; the kernel must see the
        // same rows in the same order: every k up to 20 (scalar sort, generic and register networks), lengths with and
        // without a scalar tail, equal and unequal weights.
        var rule = new QuantileWeights(median, median ? 0f : 0.2f);
        foreach (int d in (int[])[1, 7, 32, 45])
        {
            for (int k = 1; k <= 20; k++)
            {
                float[][] rows = Awkward(k, d, seed: (100 * k) + d);
                foreach (bool equal in (bool[])[true, false])
                {
                    float[] weights = [.. Enumerable.Range(0, k).Select(i => equal ? 0.25f : 1f + (i % 3))];
                    var viaAggregation = new float[d];
                    if (median)
                    {
                        FedMesh.Node.Merge.Aggregation.CoordinateMedian(TestDeltas.Mem(rows), weights, viaAggregation);
                    }
                    else
                    {
                        FedMesh.Node.Merge.Aggregation.TrimmedMean(TestDeltas.Mem(rows), weights, 0.2, viaAggregation);
                    }

                    float[] pinned = RunPinned(rows, weights, rule, d);
                    for (int i = 0; i < d; i++)
                    {
                        Assert.True(BitConverter.SingleToInt32Bits(pinned[i]) == BitConverter.SingleToInt32Bits(viaAggregation[i]),
                            $"k {k}, d {d}, equal weights {equal}, coordinate {i}: pinned {pinned[i]} vs stack copy {viaAggregation[i]}");
                    }
                }
            }
        }
    }

    private static float[] RunPinned(float[][] rows, float[] weights, QuantileWeights rule, int d)
    {
        var destination = new float[d];
        using var pinned = new PinnedRows(TestDeltas.Mem(rows), d);
        GCHandle handle = GCHandle.Alloc(destination, GCHandleType.Pinned);
        try
        {
            OrderStatisticsKernel.Run(pinned, d, weights, rule, handle.AddrOfPinnedObject(), maxDop: 1);
        }
        finally
        {
            handle.Free();
        }

        return destination;
    }

    private static float[] RunPath(float[][] rows, QuantileWeights rule, OrderStatisticsPath path)
    {
        var destination = new float[D];
        using var pinned = new PinnedRows(TestDeltas.Mem(rows), D);
        GCHandle handle = GCHandle.Alloc(destination, GCHandleType.Pinned);
        try
        {
            OrderStatisticsKernel.Run(pinned, D, Enumerable.Repeat(1f, rows.Length).ToArray(), rule, handle.AddrOfPinnedObject(), maxDop: 2, path);
        }
        finally
        {
            handle.Free();
        }

        return destination;
    }

    /// <summary>Random values with what makes sorting awkward: ties (values on a coarse grid), ±0, subnormals and
    /// values near ±float.MaxValue / 4 (large, but their sums of up to 16 stay finite).</summary>
    private static float[][] Awkward(int k, int d, int seed)
    {
        var random = new Random(seed);
        float[][] rows = TestDeltas.Random(k, d, seed);
        foreach (float[] row in rows)
        {
            for (int i = 0; i < d; i++)
            {
                row[i] = random.Next(8) switch
                {
                    0 => MathF.Round(row[i] * 4f) / 4f,
                    1 => random.Next(2) == 0 ? 0f : -0f,
                    2 => float.Epsilon * random.Next(-100, 100),
                    3 => (random.Next(2) == 0 ? 1 : -1) * float.MaxValue / 4 / (1 + random.Next(4)),
                    _ => row[i],
                };
            }
        }

        return rows;
    }

    private static void AssertSame(float[] expected, float[] actual, string what)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(expected[i] == actual[i], $"{what}: coordinate {i}: {expected[i]} vs {actual[i]}");
        }
    }
}
