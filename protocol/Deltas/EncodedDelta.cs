namespace FedMesh.Protocol.Deltas;

/// <summary>A delta payload (tensors in schema order, each in its encoding) and the manifest's tensor list for it.</summary>
public sealed record EncodedDelta(ReadOnlyMemory<byte> Payload, IReadOnlyList<ManifestTensor> Tensors);
