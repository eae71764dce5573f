namespace FedMesh.Protocol.Deltas;

/// <summary>How one tensor's elements are laid out in a delta payload (SPEC.md §5.4). Values are wire contract.</summary>
public enum TensorEncoding : byte
{
    /// <summary>IEEE 754 binary32, little-endian: exact.</summary>
    Float32 = 0,

    /// <summary>IEEE 754 binary16, little-endian, round-to-nearest-even: relative error ≤ 2⁻¹¹ for |x| ≥ 2⁻¹⁴,
    /// absolute ≤ 2⁻²⁵ below; values beyond ±65504 cannot be encoded.</summary>
    Float16 = 1,

    /// <summary>Signed 8-bit, symmetric per-tensor scale s = max|x| / 127, x ≈ q·s with q ∈ [−127, 127]:
    /// absolute error ≤ s/2.</summary>
    Int8 = 2,

    /// <summary>
    /// A subset of the elements: a presence bitmap (⌈n/8⌉ bytes, bit i = element i carried) followed by the carried
    /// elements in index order as int8 (scale = max|carried| / 127). Elements not carried are absent, not zero: the
    /// receiver treats them as its own values (SPEC.md §5.4, §10). Its byte length is ⌈n/8⌉ + popcount(bitmap).
    /// </summary>
    SparseInt8 = 3,

    /// <summary>
    /// Signed 8-bit with a scale per block of <see cref="TensorEncodings.Int8BlockSize"/> elements: one exponent byte e
    /// per block (all blocks' bytes first), then the n int8 values. Block scale = tensor scale × 2^(−e/16), tensor scale
    /// = max|x| / 127 as for <see cref="Int8"/>; x ≈ q·block scale. Absolute error ≤ block scale / 2 ≤ tensor scale / 2.
    /// Its byte length is n + ⌈n/8⌉ (SPEC.md §5.4).
    /// </summary>
    BlockInt8 = 4,

    /// <summary>
    /// Modulo int8 with receiver side information (SPEC.md §5.4 code 5): the sender's fine step s (the manifest's scale,
    /// chosen by the sender, not max|x| / 127) gives integers Q = round(x / s); the tensor is one u16 check per block of
    /// <see cref="TensorEncodings.ModuloBlockSize"/> elements, then each Q mod 256 as a byte. A receiver decodes each
    /// element to the Q ≡ q (mod 256) nearest round(y / s) of its own value y, and verifies the checks: correct whenever
    /// |x − y| &lt; 127.5·s per element, error ≤ s/2. Its byte length is n + 2⌈n/64⌉.
    /// </summary>
    ModuloInt8 = 5,
}

/// <summary>Sizes of the encodings.</summary>
public static class TensorEncodings
{
    /// <summary>
    /// Elements per block of <see cref="TensorEncoding.BlockInt8"/> (SPEC.md §5.4; wire contract). 8: the surrogate's
    /// single 32-element tensor needs blocks well below its length for the block maxima to fall under the tensor's
    /// (4 blocks: the RMS step falls to ~0.79 of per-tensor int8 for Gaussian values, 2 blocks of 16 only to ~0.90), and
    /// one exponent byte per 8 elements keeps the payload at 1.125 bytes per element, 3.6× fewer than fp32.
    /// </summary>
    public const int Int8BlockSize = 8;

    /// <summary>
    /// Elements per check of <see cref="TensorEncoding.ModuloInt8"/> (SPEC.md §5.4; wire contract). 64: one u16 check
    /// per 64 values is 1/32 byte per element (1.03 bytes per element in all), and the check's odd weights 1, 3, …, 127
    /// stay distinct and below 2^16 so that any one or two wrapped elements of a block are always detected.
    /// </summary>
    public const int ModuloBlockSize = 64;

    /// <summary>Bytes per element of the encodings with a whole number of them; a sparse tensor's length depends on
    /// its bitmap and a block int8 tensor's on its block count (<see cref="ByteLength"/>, <see cref="MinByteLength"/>,
    /// <see cref="MaxByteLength"/>).</summary>
    public static int BytesPerElement(this TensorEncoding encoding) => encoding switch
    {
        TensorEncoding.Float32 => sizeof(float),
        TensorEncoding.Float16 => 2,
        TensorEncoding.Int8 => sizeof(sbyte),
        TensorEncoding.SparseInt8 => throw new ArgumentOutOfRangeException(nameof(encoding), encoding, "sparse int8 has no fixed size per element"),
        TensorEncoding.BlockInt8 => throw new ArgumentOutOfRangeException(nameof(encoding), encoding, "block int8 adds one byte per block: use ByteLength"),
        TensorEncoding.ModuloInt8 => throw new ArgumentOutOfRangeException(nameof(encoding), encoding, "modulo int8 adds two bytes per block: use ByteLength"),
        _ => throw new ArgumentOutOfRangeException(nameof(encoding), encoding, "unknown tensor encoding"),
    };

    /// <summary>Payload bytes of a dense tensor of <paramref name="elements"/> (block int8: the values and one exponent
    /// byte per block of <see cref="Int8BlockSize"/>).</summary>
    public static long ByteLength(this TensorEncoding encoding, long elements) => encoding switch
    {
        TensorEncoding.BlockInt8 => elements + BlockCount(elements),
        TensorEncoding.ModuloInt8 => elements + (2 * ModuloBlockCount(elements)),
        _ => elements * encoding.BytesPerElement(),
    };

    /// <summary>Checks of a modulo int8 tensor: ⌈n / <see cref="ModuloBlockSize"/>⌉ (the last block may be shorter).</summary>
    public static long ModuloBlockCount(long elements) => (elements + ModuloBlockSize - 1) / ModuloBlockSize;

    /// <summary>Whether decoding needs the receiver's own state (modulo int8: each element is resolved against it).</summary>
    public static bool NeedsSideInformation(this TensorEncoding encoding) => encoding == TensorEncoding.ModuloInt8;

    /// <summary>Blocks of a block int8 tensor: ⌈n / <see cref="Int8BlockSize"/>⌉ (the last may be shorter).</summary>
    public static long BlockCount(long elements) => (elements + Int8BlockSize - 1) / Int8BlockSize;

    public static bool IsDefined(TensorEncoding encoding) =>
        encoding is TensorEncoding.Float32 or TensorEncoding.Float16 or TensorEncoding.Int8 or TensorEncoding.SparseInt8 or TensorEncoding.BlockInt8 or TensorEncoding.ModuloInt8;

    /// <summary>Whether a tensor's byte length is read from its payload (the presence bitmap) rather than its shape.</summary>
    public static bool IsSparse(this TensorEncoding encoding) => encoding == TensorEncoding.SparseInt8;

    /// <summary>Whether the encoding carries a scale in the manifest (int8, sparse int8, block int8; modulo int8's step).</summary>
    public static bool HasScale(this TensorEncoding encoding) => encoding is TensorEncoding.Int8 or TensorEncoding.SparseInt8 or TensorEncoding.BlockInt8 or TensorEncoding.ModuloInt8;

    /// <summary>Bytes of a sparse tensor's presence bitmap: one bit per element, rounded up to whole bytes.</summary>
    public static long BitmapBytes(long elements) => (elements + 7) / 8;

    /// <summary>Fewest payload bytes a tensor of <paramref name="elements"/> can take (sparse: the bitmap alone).</summary>
    public static long MinByteLength(this TensorEncoding encoding, long elements) =>
        encoding.IsSparse() ? BitmapBytes(elements) : encoding.ByteLength(elements);

    /// <summary>Most payload bytes a tensor of <paramref name="elements"/> can take (sparse: the bitmap and every element).</summary>
    public static long MaxByteLength(this TensorEncoding encoding, long elements) =>
        encoding.IsSparse() ? BitmapBytes(elements) + elements : encoding.ByteLength(elements);
}
