namespace FedMesh.Protocol.Deltas;

/// <summary>One tensor as a manifest lists it (SPEC.md §5.2): schema name and shape, its encoding, and the
/// int8 scale (0 for the float encodings).</summary>
public sealed record ManifestTensor(TensorInfo Info, TensorEncoding Encoding, float Scale)
{
    /// <summary>Payload bytes this tensor occupies.</summary>
    public long ByteLength => Info.ElementCount * Encoding.BytesPerElement();
}
