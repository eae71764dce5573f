namespace FedMesh.Node.Learning;

/// <summary>Pure helpers for language-model scores.</summary>
public static class LanguageModelMath
{
    /// <summary>ln 2: converts nats to bits.</summary>
    private static readonly double Ln2 = Math.Log(2.0);

    /// <summary>Bits per byte from a mean cross-entropy in nats per byte (our tokens are bytes, so this is
    /// what character-level papers call bpc).</summary>
    public static double BitsPerByte(double meanNatsPerByte) => meanNatsPerByte / Ln2;

    /// <summary>A uniform guess over 256 bytes scores exactly 8 bits per byte; a fresh model starts near it.</summary>
    public static double UniformBitsPerByte => BitsPerByte(Math.Log(ModelOptions.VocabSize));
}
