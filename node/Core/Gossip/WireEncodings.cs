using FedMesh.Protocol.Deltas;

namespace FedMesh.Node.Gossip;

/// <summary>The configuration names of the protocol's tensor encodings (<c>gossip.encoding</c>, SPEC.md §5.4).</summary>
public static class WireEncodings
{
    public const string Fp32 = "fp32";

    public const string Fp16 = "fp16";

    public const string Int8 = "int8";

    /// <summary>Random-k sparse int8 (<c>gossip.density</c> of each tensor per release; <see cref="Mesh.RandomK"/>).</summary>
    public const string Sparse = "sparse";

    /// <summary>Int8 with a scale per block of 8 elements (SPEC.md §5.4 code 4): 1.125 bytes per element.</summary>
    public const string Int8Block = "int8-block";

    /// <summary>Modulo int8 against the receiver's own state (SPEC.md §5.4 code 5, a Wyner–Ziv code): a step fitted to the
    /// states' spread instead of max|x| / 127, 1.03 bytes per element; see <see cref="Mesh.MeshOptions.ModuloMargin"/>.</summary>
    public const string Int8Wz = "int8-wz";

    public static readonly IReadOnlyList<string> Names = [Fp32, Fp16, Int8, Sparse, Int8Block, Int8Wz];

    /// <summary>The encoding a configuration name denotes; throws naming the accepted values otherwise.</summary>
    public static TensorEncoding Parse(string name) => name switch
    {
        Fp32 => TensorEncoding.Float32,
        Fp16 => TensorEncoding.Float16,
        Int8 => TensorEncoding.Int8,
        Sparse => TensorEncoding.SparseInt8,
        Int8Block => TensorEncoding.BlockInt8,
        Int8Wz => TensorEncoding.ModuloInt8,
        _ => throw new ArgumentException($"gossip.encoding must be one of {string.Join(", ", Names)}, got \"{name}\"", nameof(name)),
    };

    public static string Name(TensorEncoding encoding) => encoding switch
    {
        TensorEncoding.Float32 => Fp32,
        TensorEncoding.Float16 => Fp16,
        TensorEncoding.Int8 => Int8,
        TensorEncoding.SparseInt8 => Sparse,
        TensorEncoding.BlockInt8 => Int8Block,
        TensorEncoding.ModuloInt8 => Int8Wz,
        _ => throw new ArgumentOutOfRangeException(nameof(encoding), encoding, "unknown tensor encoding"),
    };
}
