namespace FedMesh.Node.Data.Poisoning;

/// <summary>
/// Data-poisoning transforms for the attack library (issue 4): a malicious or broken node trains on corrupted text
/// and ships the resulting adapter delta, which the Byzantine-robust merge must contain. All are pure functions of
/// (documents, parameters, seed): the same seed gives the same poisoned corpus, so attack experiments are
/// reproducible. Each document is poisoned with probability <c>rate</c>, decided per document by a seeded draw.
/// </summary>
public static class TextPoisoning
{
    /// <summary>
    /// Shuffles the words (runs of non-whitespace) of each chosen document, keeping the whitespace layout:
    /// the byte/word distribution stays, syntax and meaning are destroyed ("label-free" noise for an LM).
    /// </summary>
    public static IReadOnlyList<string> ShuffleWords(IReadOnlyList<string> documents, double rate, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(documents);
        CheckRate(rate);
        var random = new Random(Corpora.SotuPartition.FoldSeed(seed));
        var result = new string[documents.Count];
        for (int i = 0; i < documents.Count; i++)
        {
            result[i] = random.NextDouble() < rate ? ShuffleWordsOf(documents[i], random) : documents[i];
        }

        return result;
    }

    /// <summary>
    /// Replaces each character of each chosen document, with probability <paramref name="charRate"/>, by a random
    /// printable ASCII character (0x20–0x7E): byte-level noise for a byte-level model.
    /// </summary>
    public static IReadOnlyList<string> CorruptCharacters(IReadOnlyList<string> documents, double rate, double charRate, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(documents);
        CheckRate(rate);
        CheckRate(charRate);
        var random = new Random(Corpora.SotuPartition.FoldSeed(seed));
        var result = new string[documents.Count];
        for (int i = 0; i < documents.Count; i++)
        {
            string document = documents[i];
            if (random.NextDouble() >= rate)
            {
                result[i] = document;
                continue;
            }

            result[i] = string.Create(document.Length, (document, random, charRate), static (span, state) =>
            {
                for (int c = 0; c < span.Length; c++)
                {
                    // 95 printable ASCII characters, 0x20 (space) .. 0x7E (~).
                    span[c] = state.random.NextDouble() < state.charRate
                        ? (char)state.random.Next(0x20, 0x7F)
                        : state.document[c];
                }
            });
        }

        return result;
    }

    /// <summary>
    /// Swaps fields between records: the chosen records get a seeded permutation of their values (e.g. the texts
    /// of SOTU addresses among their years/presidents, so a node advertising 1861–1912 trains on other eras).
    /// Records not chosen keep their own value. Returns new records built by <paramref name="withValue"/>.
    /// </summary>
    public static IReadOnlyList<T> SwapFields<T, TValue>(
        IReadOnlyList<T> records, Func<T, TValue> value, Func<T, TValue, T> withValue, double rate, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(records);
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(withValue);
        CheckRate(rate);
        var random = new Random(Corpora.SotuPartition.FoldSeed(seed));
        var chosen = Enumerable.Range(0, records.Count).Where(_ => random.NextDouble() < rate).ToArray();
        var result = records.ToArray();
        if (chosen.Length < 2)
        {
            return result;
        }

        // A cyclic shift of a shuffled order is a derangement: every chosen record gets another record's value.
        random.Shuffle(chosen);
        for (int k = 0; k < chosen.Length; k++)
        {
            result[chosen[k]] = withValue(records[chosen[k]], value(records[chosen[(k + 1) % chosen.Length]]));
        }

        return result;
    }

    private static string ShuffleWordsOf(string document, Random random)
    {
        var words = new List<(int Start, int Length)>();
        int i = 0;
        while (i < document.Length)
        {
            if (char.IsWhiteSpace(document[i]))
            {
                i++;
                continue;
            }

            int start = i;
            while (i < document.Length && !char.IsWhiteSpace(document[i]))
            {
                i++;
            }

            words.Add((start, i - start));
        }

        var order = words.ToArray();
        random.Shuffle(order);
        var output = new System.Text.StringBuilder(document.Length);
        int previousEnd = 0;
        for (int w = 0; w < words.Count; w++)
        {
            // Whitespace before slot w stays where it was; the word in slot w comes from the shuffled order.
            output.Append(document, previousEnd, words[w].Start - previousEnd);
            output.Append(document, order[w].Start, order[w].Length);
            previousEnd = words[w].Start + words[w].Length;
        }

        return output.Append(document, previousEnd, document.Length - previousEnd).ToString();
    }

    private static void CheckRate(double rate, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(rate))] string? name = null)
    {
        if (!(rate >= 0 && rate <= 1))
        {
            throw new ArgumentOutOfRangeException(name, rate, "a poisoning rate must be in [0, 1]");
        }
    }
}
