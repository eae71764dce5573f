namespace FedMesh.Node.Learning.Surrogate.Internal;

/// <summary>Seeded samplers for the surrogate task: standard normals, Gamma and Dirichlet draws.</summary>
internal static class SeededSampling
{
    /// <summary>SplitMix64 finaliser (Steele, Lea, Flood 2014): decorrelates (seed, stream) pairs so each node's
    /// generator is independent of its neighbours' even for consecutive indices.</summary>
    internal static int DeriveSeed(ulong seed, ulong stream)
    {
        ulong z = seed + (0x9E3779B97F4A7C15UL * (stream + 1));
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (int)(z & int.MaxValue);
    }

    /// <summary>Box–Muller; 1 − NextDouble() is in (0, 1] so the log is finite.</summary>
    internal static double StandardNormal(Random random)
    {
        double u1 = 1.0 - random.NextDouble();
        double u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    internal static void FillNormal(Random random, Span<float> destination, double scale)
    {
        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = (float)(scale * StandardNormal(random));
        }
    }

    /// <summary>Gamma(α, 1) by Marsaglia and Tsang (2000); for α &lt; 1 the boost Gamma(α+1)·U^{1/α}.</summary>
    internal static double Gamma(Random random, double alpha)
    {
        if (alpha < 1)
        {
            double u = 1.0 - random.NextDouble();
            return Gamma(random, alpha + 1) * Math.Pow(u, 1.0 / alpha);
        }

        double d = alpha - (1.0 / 3.0);
        double c = 1.0 / Math.Sqrt(9.0 * d);
        while (true)
        {
            double x = StandardNormal(random);
            double v = 1.0 + (c * x);
            if (v <= 0)
            {
                continue;
            }

            v = v * v * v;
            double u = 1.0 - random.NextDouble();
            if (Math.Log(u) < (0.5 * x * x) + d - (d * v) + (d * Math.Log(v)))
            {
                return d * v;
            }
        }
    }

    /// <summary>Dirichlet(α, …, α) as normalised Gamma draws.</summary>
    internal static double[] Dirichlet(Random random, int components, double alpha)
    {
        var p = new double[components];
        double sum = 0;
        for (int k = 0; k < components; k++)
        {
            p[k] = Gamma(random, alpha);
            sum += p[k];
        }

        if (sum <= 0)
        {
            // Every draw underflowed (tiny α): all mass on one component, as the limit α → 0 has.
            Array.Clear(p);
            p[random.Next(components)] = 1;
            return p;
        }

        for (int k = 0; k < components; k++)
        {
            p[k] /= sum;
        }

        return p;
    }
}
