namespace FedMesh.Protocol.Deltas;

/// <summary>
/// What a receiving node requires of every delta before use (SPEC.md §5.5): the mesh it belongs to, the base
/// model it was trained on, and the local adapter schema (whose hash and tensor list must match exactly).
/// </summary>
public sealed record LocalMesh(ReadOnlyMemory<byte> MeshId, ReadOnlyMemory<byte> BaseModelHash, AdapterSchema Schema);
