namespace FedMesh.Node.Data.Corpora;

/// <summary>
/// Splits long texts into paragraph-sized records for record-level DP (one record = one document). The SOTU corpus
/// ships each address as one line with no paragraph breaks, so "paragraphs" here are runs of whole sentences of at
/// least <c>minChars</c> characters: a sentence is never cut, and a record is about the size of a paragraph.
/// </summary>
public static class TextRecords
{
    /// <summary>400 characters ≈ 3–5 sentences of an address: a paragraph, and ≈ 6 windows of the tiny model's context.</summary>
    public const int DefaultMinChars = 400;

    public static IReadOnlyList<string> Paragraphs(IEnumerable<string> texts, int minChars = DefaultMinChars)
    {
        ArgumentNullException.ThrowIfNull(texts);
        ArgumentOutOfRangeException.ThrowIfLessThan(minChars, 1);
        var records = new List<string>();
        foreach (string text in texts)
        {
            int start = 0;
            while (start < text.Length)
            {
                int end = SentenceEndAtOrAfter(text, start + minChars);
                string record = text[start..end].Trim();
                if (record.Length > 0)
                {
                    records.Add(record);
                }

                start = end;
            }
        }

        return records;
    }

    /// <summary>Index just past the first ". ", "? " or "! " at or after <paramref name="from"/>, else the text's end.</summary>
    private static int SentenceEndAtOrAfter(string text, int from)
    {
        for (int i = Math.Min(from, text.Length); i < text.Length - 1; i++)
        {
            if (text[i] is '.' or '?' or '!' && text[i + 1] == ' ')
            {
                return i + 2;
            }
        }

        return text.Length;
    }
}
