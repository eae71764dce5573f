namespace FedMesh.Protocol.Deltas;

/// <summary>One tensor as a manifest lists it (SPEC.md §5.2): schema name and shape, its encoding, and the
/// int8 scale (0 for the float encodings).</summary>
public sealed record ManifestTensor(TensorInfo Info, TensorEncoding Encoding, float Scale)
{
    /// <summary>Payload bytes this tensor occupies in a dense encoding (a sparse tensor's length is in its bitmap).</summary>
    public long ByteLength => Encoding.ByteLength(Info.ElementCount);

    /// <summary>Fewest payload bytes this tensor can occupy (its exact length when dense).</summary>
    public long MinByteLength => Encoding.MinByteLength(Info.ElementCount);

    /// <summary>Most payload bytes this tensor can occupy (its exact length when dense).</summary>
    public long MaxByteLength => Encoding.MaxByteLength(Info.ElementCount);
}
