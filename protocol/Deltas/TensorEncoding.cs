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
}

/// <summary>Sizes of the encodings.</summary>
public static class TensorEncodings
{
    public static int BytesPerElement(this TensorEncoding encoding) => encoding switch
    {
        TensorEncoding.Float32 => sizeof(float),
        TensorEncoding.Float16 => 2,
        TensorEncoding.Int8 => sizeof(sbyte),
        _ => throw new ArgumentOutOfRangeException(nameof(encoding), encoding, "unknown tensor encoding"),
    };

    public static bool IsDefined(TensorEncoding encoding) => encoding is TensorEncoding.Float32 or TensorEncoding.Float16 or TensorEncoding.Int8;
}
