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
}

/// <summary>Sizes of the encodings.</summary>
public static class TensorEncodings
{
    /// <summary>Bytes per element of the dense encodings; a sparse tensor's length depends on its bitmap
    /// (<see cref="MinByteLength"/>, <see cref="MaxByteLength"/>).</summary>
    public static int BytesPerElement(this TensorEncoding encoding) => encoding switch
    {
        TensorEncoding.Float32 => sizeof(float),
        TensorEncoding.Float16 => 2,
        TensorEncoding.Int8 => sizeof(sbyte),
        TensorEncoding.SparseInt8 => throw new ArgumentOutOfRangeException(nameof(encoding), encoding, "sparse int8 has no fixed size per element"),
        _ => throw new ArgumentOutOfRangeException(nameof(encoding), encoding, "unknown tensor encoding"),
    };

    public static bool IsDefined(TensorEncoding encoding) =>
        encoding is TensorEncoding.Float32 or TensorEncoding.Float16 or TensorEncoding.Int8 or TensorEncoding.SparseInt8;

    /// <summary>Whether a tensor's byte length is read from its payload (the presence bitmap) rather than its shape.</summary>
    public static bool IsSparse(this TensorEncoding encoding) => encoding == TensorEncoding.SparseInt8;

    /// <summary>Whether the encoding carries an int8 scale in the manifest (int8 and sparse int8).</summary>
    public static bool HasScale(this TensorEncoding encoding) => encoding is TensorEncoding.Int8 or TensorEncoding.SparseInt8;

    /// <summary>Bytes of a sparse tensor's presence bitmap: one bit per element, rounded up to whole bytes.</summary>
    public static long BitmapBytes(long elements) => (elements + 7) / 8;

    /// <summary>Fewest payload bytes a tensor of <paramref name="elements"/> can take (sparse: the bitmap alone).</summary>
    public static long MinByteLength(this TensorEncoding encoding, long elements) =>
        encoding.IsSparse() ? BitmapBytes(elements) : elements * encoding.BytesPerElement();

    /// <summary>Most payload bytes a tensor of <paramref name="elements"/> can take (sparse: the bitmap and every element).</summary>
    public static long MaxByteLength(this TensorEncoding encoding, long elements) =>
        encoding.IsSparse() ? BitmapBytes(elements) + elements : elements * encoding.BytesPerElement();
}
