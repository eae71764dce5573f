namespace FedMesh.Protocol.Deltas;

/// <summary>
/// Caps on a signed delta, checked when a manifest is decoded and before anything is allocated from it
/// (SPEC.md §7). They bound a receiver's memory per transfer: the assembler's buffer is at most
/// <see cref="MaxTotalSize"/> and the manifest at most <see cref="MaxManifestBytes"/>.
/// </summary>
public static class DeltaLimits
{
    /// <summary>Payload bytes of one delta: 64 MiB holds 16 M fp32 parameters, an order of magnitude above a
    /// rank-16 LoRA of a ~100 M-parameter model, while still fitting an edge device's memory.</summary>
    public const ulong MaxTotalSize = 64UL * 1024 * 1024;

    /// <summary>Largest chunk: 1 MiB keeps a DeltaChunk frame inside the transport's frame cap (§7: 1 MiB + 256)
    /// and a lost chunk cheap to re-fetch.</summary>
    public const int MaxChunkSize = 1024 * 1024;

    /// <summary>Default chunk size: 1 MiB amortises per-frame overhead (≈ 50 bytes) to &lt; 0.01 % while a
    /// resumed transfer re-fetches at most 1 MiB per interrupted chunk.</summary>
    public const int DefaultChunkSize = 1024 * 1024;

    /// <summary>Chunks per delta: 4096 × 32-byte hashes = 128 KiB of manifest; with the default chunk size
    /// it covers the whole <see cref="MaxTotalSize"/> (64 chunks) with a wide margin for small chunk sizes.</summary>
    public const int MaxChunkCount = 4096;

    /// <summary>Tensors per delta: a LoRA on every projection of a 32-layer model is 32 × 7 × 2 = 448; 1024 doubles that.</summary>
    public const int MaxTensors = 1024;

    /// <summary>Encoded manifest: 1024 tensors × (≤ 256-byte name + ≤ 30 bytes shape/encoding) ≈ 293 KiB
    /// plus 128 KiB of chunk hashes and a fixed header; 512 KiB covers the worst case.</summary>
    public const int MaxManifestBytes = 512 * 1024;

    /// <summary>BLAKE3-256 digest length (chunk hashes and content ids).</summary>
    public const int HashLength = 32;
}
