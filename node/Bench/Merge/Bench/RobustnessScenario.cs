using FedMesh.Node.Attacks;

namespace FedMesh.Node.Merge.Bench;

/// <summary>
/// The synthetic Byzantine round used by <c>fedmesh-bench robustness</c> and the breakdown tests: k inputs, f of
/// them crafted by one attack from the k − f honest ones, honest deltas = a shared direction (uniform in [−1, 1]
/// per coordinate) plus independent uniform noise — the non-IID spread of real deltas around their mean.
/// </summary>
public sealed record RobustnessScenario
{
    public static readonly RobustnessScenario Default = new();

    /// <summary>k = 16: a node's gossip fan-in in a mid-size mesh, and the middle of the bench's k range.</summary>
    public int Inputs { get; init; } = 16;

    /// <summary>f = 3 &lt; k/2 and k ≥ 2f + 3 (Krum's condition), ≈ 19 % attackers.</summary>
    public int Byzantine { get; init; } = 3;

    /// <summary>d = 4096: large enough for stable norms, small enough to run every pair in about a second.</summary>
    public int Length { get; init; } = 4096;

    /// <summary>Honest noise amplitude relative to the shared direction's: 0.3 ⇒ honest deltas are ≈ 30 % apart.</summary>
    public float HonestNoise { get; init; } = 0.3f;

    public int Seed { get; init; } = 42;

    /// <summary>Attack strengths; scaling ×100 and sign flip ×10 make the plain mean's breakdown unambiguous.</summary>
    public AttackOptions Attack { get; init; } = AttackOptions.Default with { ScalingFactor = 100f, SignFlipScale = 10f };

    /// <summary>k seeded honest deltas of length d (see the type's summary).</summary>
    public static float[][] HonestDeltas(int k, int d, float noise, int seed)
    {
        var random = new Random(seed);
        var mean = new float[d];
        for (int c = 0; c < d; c++)
        {
            mean[c] = (float)((random.NextDouble() * 2) - 1);
        }

        var rows = new float[k][];
        for (int i = 0; i < k; i++)
        {
            rows[i] = new float[d];
            for (int c = 0; c < d; c++)
            {
                rows[i][c] = mean[c] + (noise * (float)((random.NextDouble() * 2) - 1));
            }
        }

        return rows;
    }

    /// <summary>
    /// ‖aggregate − honest mean‖ / ‖honest mean‖ for one rule under one attack (null: no attack, all k honest).
    /// Robust-rule parameters are set from the scenario: Krum f, trimmed mean β = f/k.
    /// </summary>
    public double RelativeError(AggregationRule rule, AttackKind? attack)
    {
        int honestCount = attack is null ? Inputs : Inputs - Byzantine;
        float[][] honest = HonestDeltas(honestCount, Length, HonestNoise, Seed);
        var inputs = honest.Select(h => new DeltaInput(h)).ToList();
        if (attack is { } kind)
        {
            float[][] previous = HonestDeltas(honestCount, Length, HonestNoise, Seed + 1);
            ReadOnlyMemory<float>[] honestMemory = honest.Select(h => (ReadOnlyMemory<float>)h).ToArray();
            inputs.AddRange(AttackLibrary.Craft(kind, honestMemory, previous, Byzantine, Inputs, Attack, Seed + 2).Select(b => new DeltaInput(b)));
        }

        var options = AggregatorOptions.Default with
        {
            Rule = rule,
            KrumByzantine = Byzantine,
            TrimFraction = (double)Byzantine / Inputs,
            ReportDistances = false,
            MaxDegreeOfParallelism = 1,
        };
        var aggregate = new float[Length];
        new RobustAggregator(options).Aggregate(inputs, aggregate);

        var honestMean = new double[Length];
        foreach (float[] h in honest)
        {
            for (int c = 0; c < Length; c++)
            {
                honestMean[c] += (double)h[c] / honest.Length;
            }
        }

        double err = 0;
        double norm = 0;
        for (int c = 0; c < Length; c++)
        {
            err += (aggregate[c] - honestMean[c]) * (aggregate[c] - honestMean[c]);
            norm += honestMean[c] * honestMean[c];
        }

        return Math.Sqrt(err / norm);
    }
}
