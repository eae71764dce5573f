namespace FedMesh.Protocol.Security;

/// <summary>
/// AEAD cipher suites of the secure channel (SPEC.md §3.4). Values are wire bits: the initiator offers a bit
/// set, the responder answers with exactly one. All take 32-byte keys; nonce and tag lengths are the suite's
/// (<see cref="CipherSuites.NonceSize"/>, <see cref="CipherSuites.TagSize"/>), fixed once the handshake has chosen
/// it, so a frame's layout (§2) never needs a per-frame field. Never renumber.
/// </summary>
[Flags]
public enum CipherSuite : byte
{
    None = 0,

    /// <summary>RFC 8439. Mandatory: constant-time in software on every CPU, so always available as fallback.</summary>
    ChaCha20Poly1305 = 0x01,

    /// <summary>NIST SP 800-38D. Offered where the CPU has AES instructions.</summary>
    Aes256Gcm = 0x02,

    /// <summary>
    /// AEGIS-256 (draft-irtf-cfrg-aegis-aead, libsodium's implementation): 32-byte nonce and 32-byte tag. Preferred
    /// when both sides have AES instructions: it sealed 1 MiB frames at 9.6 GB/s against 4.5 GB/s for OpenSSL's
    /// AES-256-GCM on the reference machine (SPEC.md §3.4), which is what a 64 MiB delta transfer is bound by.
    /// </summary>
    Aegis256 = 0x04,
}

/// <summary>Which suites this process can run, which it prefers, and each suite's sizes.</summary>
public static class CipherSuites
{
    /// <summary>The longest tag of any suite: what a frame buffer must leave room for before the suite is known.</summary>
    public const int MaxTagSize = 32;

    /// <summary>
    /// Suites usable here: ChaCha20-Poly1305 always; AES-256-GCM and AEGIS-256 only with hardware AES (both rely on
    /// it for speed and for constant time; libsodium refuses AEGIS without it).
    /// </summary>
    public static CipherSuite Supported { get; } = CipherSuite.ChaCha20Poly1305
        | (HasHardwareAes && System.Security.Cryptography.AesGcm.IsSupported ? CipherSuite.Aes256Gcm | CipherSuite.Aegis256 : CipherSuite.None);

    /// <summary>AES instructions (x86 AES-NI or Armv8 AES): without them AES runs table-based, slow and leaky.</summary>
    private static bool HasHardwareAes => System.Runtime.Intrinsics.X86.Aes.IsSupported || System.Runtime.Intrinsics.Arm.Aes.IsSupported;

    /// <summary>
    /// The responder's choice among the offered suites, fastest first: AEGIS-256, then AES-256-GCM, then
    /// ChaCha20-Poly1305 (SPEC.md §3.4).
    /// </summary>
    public static CipherSuite Choose(CipherSuite offered, CipherSuite local)
    {
        CipherSuite common = offered & local;
        foreach (CipherSuite suite in (ReadOnlySpan<CipherSuite>)[CipherSuite.Aegis256, CipherSuite.Aes256Gcm, CipherSuite.ChaCha20Poly1305])
        {
            if ((common & suite) != 0)
            {
                return suite;
            }
        }

        return CipherSuite.None;
    }

    /// <summary>True for exactly one defined suite bit (what a responder may answer).</summary>
    public static bool IsSingle(CipherSuite suite) =>
        suite is CipherSuite.ChaCha20Poly1305 or CipherSuite.Aes256Gcm or CipherSuite.Aegis256;

    /// <summary>Tag bytes the suite appends to every sealed frame: 16, or 32 for AEGIS-256.</summary>
    public static int TagSize(CipherSuite suite) => suite switch
    {
        CipherSuite.ChaCha20Poly1305 or CipherSuite.Aes256Gcm => 16,
        CipherSuite.Aegis256 => 32,
        _ => throw new ArgumentOutOfRangeException(nameof(suite), suite, "not a single cipher suite"),
    };

    /// <summary>
    /// Bytes a sealed frame adds to its body on the wire under <paramref name="suite"/>: the frame header
    /// (<see cref="Wire.FrameHeader.Size"/>, SPEC.md §3) and the suite's tag (16, or 32 for AEGIS-256). The one place
    /// wire-byte counters (the node's per-peer totals, /metrics, netsim) take the overhead from.
    /// </summary>
    public static int FrameOverhead(CipherSuite suite) => Wire.FrameHeader.Size + TagSize(suite);

    /// <summary>Nonce bytes of the suite: 12, or 32 for AEGIS-256.</summary>
    public static int NonceSize(CipherSuite suite) => suite switch
    {
        CipherSuite.ChaCha20Poly1305 or CipherSuite.Aes256Gcm => 12,
        CipherSuite.Aegis256 => 32,
        _ => throw new ArgumentOutOfRangeException(nameof(suite), suite, "not a single cipher suite"),
    };
}
