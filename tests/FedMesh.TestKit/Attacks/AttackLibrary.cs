using System.Numerics.Tensors;
using FedMesh.Node.Attacks.Internal;

namespace FedMesh.Node.Attacks;

/// <summary>
/// Malicious deltas computed from honest ones, as pure functions (randomness only from the passed seeded
/// <see cref="Random"/>). Used by tests, <c>fedmesh-bench robustness</c> and netsim's Byzantine nodes.
/// </summary>
public static class AttackLibrary
{
    /// <summary>−s·x.</summary>
    public static float[] SignFlip(ReadOnlySpan<float> honest, float scale = 1f)
    {
        var r = new float[honest.Length];
        TensorPrimitives.Multiply(honest, -scale, r);
        return r;
    }

    /// <summary>λ·x.</summary>
    public static float[] Scaling(ReadOnlySpan<float> honest, float factor)
    {
        var r = new float[honest.Length];
        TensorPrimitives.Multiply(honest, factor, r);
        return r;
    }

    /// <summary>x + N(0, σ²) per coordinate (Box–Muller from the seeded source).</summary>
    public static float[] GaussianNoise(ReadOnlySpan<float> honest, double sigma, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var r = new float[honest.Length];
        for (int i = 0; i < r.Length; i++)
        {
            r[i] = honest[i] + (float)(sigma * StandardNormal(random));
        }

        return r;
    }

    /// <summary>The zero delta.</summary>
    public static float[] FreeRider(int length) => new float[length];

    /// <summary>A copy of the delta from <paramref name="roundsAgo"/> rounds back; history[0] is the latest round.</summary>
    public static float[] Replay(IReadOnlyList<float[]> history, int roundsAgo)
    {
        ArgumentNullException.ThrowIfNull(history);
        if (roundsAgo < 0 || roundsAgo >= history.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(roundsAgo), roundsAgo, $"history holds {history.Count} rounds");
        }

        return (float[])history[roundsAgo].Clone();
    }

    /// <summary>
    /// ALIE's z_max (Baruch et al. 2019, §3): with n inputs of which f Byzantine, the attacker needs
    /// s = ⌊n/2 + 1⌋ − f honest inputs to side with it; z = Φ⁻¹((n − s)/n) keeps the crafted value within the
    /// spread of that many honest values, so coordinate-wise rules and Krum still pick it.
    /// </summary>
    public static double AlieZ(int n, int f)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 2);
        ArgumentOutOfRangeException.ThrowIfNegative(f);
        int s = (n / 2) + 1 - f;
        return NormalQuantile.Of((double)(n - s) / n);
    }

    /// <summary>μ − z·σ per coordinate over the honest deltas (population σ), the ALIE delta.</summary>
    public static float[] Alie(IReadOnlyList<ReadOnlyMemory<float>> honest, double z)
    {
        (float[] mean, float[] std) = MeanAndStd(honest);
        TensorPrimitives.MultiplyAdd(std, (float)-z, mean, mean);
        return mean;
    }

    /// <summary>−ε·μ, the inner-product manipulation delta (Xie et al. 2020): makes ⟨aggregate, μ⟩ negative.</summary>
    public static float[] InnerProduct(IReadOnlyList<ReadOnlyMemory<float>> honest, float epsilon)
    {
        (float[] mean, _) = MeanAndStd(honest);
        TensorPrimitives.Multiply(mean, -epsilon, mean);
        return mean;
    }

    /// <summary>Coordinate-wise mean and population standard deviation of the honest deltas.</summary>
    public static (float[] Mean, float[] Std) MeanAndStd(IReadOnlyList<ReadOnlyMemory<float>> honest)
    {
        ArgumentNullException.ThrowIfNull(honest);
        if (honest.Count == 0)
        {
            throw new ArgumentException("needs at least one honest delta", nameof(honest));
        }

        int d = honest[0].Length;
        var sum = new double[d];
        var sumSq = new double[d];
        foreach (ReadOnlyMemory<float> h in honest)
        {
            ReadOnlySpan<float> s = h.Span;
            if (s.Length != d)
            {
                throw new ArgumentException("honest deltas differ in length", nameof(honest));
            }

            for (int i = 0; i < d; i++)
            {
                sum[i] += s[i];
                sumSq[i] += (double)s[i] * s[i];
            }
        }

        var mean = new float[d];
        var std = new float[d];
        for (int i = 0; i < d; i++)
        {
            double m = sum[i] / honest.Count;
            mean[i] = (float)m;
            std[i] = (float)Math.Sqrt(Math.Max(0, (sumSq[i] / honest.Count) - (m * m)));
        }

        return (mean, std);
    }

    /// <summary>
    /// <paramref name="count"/> malicious deltas of one kind for a round with <paramref name="totalInputs"/>
    /// inputs. Per-attacker attacks (sign flip, scaling, noise, replay) start from honest[i mod h] (or
    /// history[i mod h] for replay: the previous round's deltas); ALIE and IPM are omniscient and use all honest.
    /// </summary>
    public static IReadOnlyList<float[]> Craft(
        AttackKind kind,
        IReadOnlyList<ReadOnlyMemory<float>> honest,
        IReadOnlyList<float[]> previousRound,
        int count,
        int totalInputs,
        AttackOptions options,
        int seed)
    {
        ArgumentNullException.ThrowIfNull(honest);
        ArgumentNullException.ThrowIfNull(previousRound);
        ArgumentNullException.ThrowIfNull(options);
        if (honest.Count == 0)
        {
            throw new ArgumentException("needs at least one honest delta", nameof(honest));
        }

        var random = new Random(seed);
        int d = honest[0].Length;
        float[]? shared = kind switch
        {
            AttackKind.Alie => Alie(honest, double.IsNaN(options.AlieZ) ? AlieZ(totalInputs, count) : options.AlieZ),
            AttackKind.InnerProduct => InnerProduct(honest, options.IpmEpsilon),
            _ => null,
        };
        double rms = kind == AttackKind.GaussianNoise ? Rms(honest) : 0;
        var result = new float[count][];
        for (int i = 0; i < count; i++)
        {
            ReadOnlySpan<float> own = honest[i % honest.Count].Span;
            result[i] = kind switch
            {
                AttackKind.SignFlip => SignFlip(own, options.SignFlipScale),
                AttackKind.Scaling => Scaling(own, options.ScalingFactor),
                AttackKind.GaussianNoise => GaussianNoise(own, options.NoiseMultiplier * rms, random),
                AttackKind.Replay when previousRound.Count > 0 => (float[])previousRound[i % previousRound.Count].Clone(),
                AttackKind.Replay => throw new ArgumentException("replay needs the previous round's deltas", nameof(previousRound)),
                AttackKind.FreeRider => FreeRider(d),
                _ => (float[])shared!.Clone(),
            };
        }

        return result;
    }

    private static double Rms(IReadOnlyList<ReadOnlyMemory<float>> honest)
    {
        double sumSq = 0;
        long n = 0;
        foreach (ReadOnlyMemory<float> h in honest)
        {
            double norm = TensorPrimitives.Norm(h.Span);
            sumSq += norm * norm;
            n += h.Length;
        }

        return n == 0 ? 0 : Math.Sqrt(sumSq / n);
    }

    private static double StandardNormal(Random random)
    {
        // Box–Muller; 1 − NextDouble() is in (0, 1], so the log is finite.
        double u1 = 1.0 - random.NextDouble();
        double u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }
}
