namespace FedMesh.Node.Privacy;

/// <summary>
/// Exposure of a canary (Carlini et al. 2019, "The Secret Sharer", §4): how far up a model ranks a secret it was
/// trained on among random candidates of the same format. With the canary and m candidates scored by the model (lower
/// score = more likely, e.g. bits on the secret part), rank = 1 + the number of candidates scored strictly lower, and
/// exposure = log2(m + 1) − log2(rank): 0 when every candidate beats the canary (nothing memorised), log2(m + 1) bits
/// (the format's maximum for this candidate set) when the canary is the model's favourite. Ties count for the canary,
/// so leakage is not under-stated. Pure; the canary bench and tests call it directly.
/// </summary>
public static class CanaryExposure
{
    /// <summary>Exposure in bits of <paramref name="canaryScore"/> among <paramref name="candidateScores"/>.</summary>
    /// <exception cref="ArgumentException">No candidates, or a score that is NaN.</exception>
    public static double Exposure(double canaryScore, IReadOnlyList<double> candidateScores)
    {
        ArgumentNullException.ThrowIfNull(candidateScores);
        if (candidateScores.Count == 0)
        {
            throw new ArgumentException("exposure needs at least one candidate", nameof(candidateScores));
        }

        if (double.IsNaN(canaryScore) || candidateScores.Any(double.IsNaN))
        {
            throw new ArgumentException("scores must not be NaN", nameof(candidateScores));
        }

        int rank = 1 + candidateScores.Count(s => s < canaryScore);
        return MaxExposure(candidateScores.Count) - Math.Log2(rank);
    }

    /// <summary>
    /// Exposure of <paramref name="secret"/> under a model given as <paramref name="score"/> (lower = more likely, e.g.
    /// bits per byte of the text), ranked among <paramref name="candidates"/> random texts of its format drawn from
    /// <paramref name="candidateSeed"/> (a candidate equal to the secret is skipped, so ties with itself cannot count).
    /// </summary>
    /// <returns>The exposure and the format's maximum for the candidates scored, in bits.</returns>
    public static (double Exposure, double Max) Measure(Func<string, double> score, string secret, int candidates, int candidateSeed)
    {
        ArgumentNullException.ThrowIfNull(score);
        ArgumentNullException.ThrowIfNull(secret);
        ArgumentOutOfRangeException.ThrowIfLessThan(candidates, 1);
        var random = new Random(candidateSeed);
        double[] scores = Enumerable.Range(0, candidates).Select(_ => Format(random)).Where(t => t != secret).Select(score).ToArray();
        return (Exposure(score(secret), scores), MaxExposure(scores.Length));
    }

    /// <summary>The largest exposure m candidates can show: log2(m + 1) bits.</summary>
    public static double MaxExposure(int candidates)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(candidates, 1);
        return Math.Log2(candidates + 1.0);
    }

    /// <summary>A canary or candidate of the format "my secret number is DDDDDDDDD." (9 random digits: 10⁹ candidates,
    /// ≈ 29.9 bits, far more than any sample ranks).</summary>
    public static string Format(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        char[] digits = new char[SecretDigits];
        for (int i = 0; i < digits.Length; i++)
        {
            digits[i] = (char)('0' + random.Next(10));
        }

        return $"{Prefix}{new string(digits)}.";
    }

    /// <summary>The fixed part of the format.</summary>
    public const string Prefix = "my secret number is ";

    /// <summary>Random digits of the secret.</summary>
    public const int SecretDigits = 9;
}
