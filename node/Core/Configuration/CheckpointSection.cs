namespace FedMesh.Node.Configuration;

/// <summary>The <c>[checkpoints]</c> section: how many adapter checkpoints the state directory keeps.</summary>
public sealed record CheckpointSection
{
    public static readonly CheckpointSection Default = new();

    /// <summary>Keep 5: enough to fall back past a corrupt latest one and to roll back a bad merge a few rounds.</summary>
    public int Keep { get; init; } = 5;

    /// <summary>
    /// Largest checkpoint payload read back, in MiB. A rank-8 LoRA adapter of a small model is a few MiB; 256 MiB
    /// bounds what a damaged or hostile file can make the node allocate.
    /// </summary>
    public int MaxSizeMiB { get; init; } = 256;
}
