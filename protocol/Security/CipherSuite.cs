namespace FedMesh.Protocol.Security;

/// <summary>
/// AEAD cipher suites of the secure channel (SPEC.md §3.4). Values are wire bits: the initiator offers a bit
/// set, the responder answers with exactly one. Both have 32-byte keys, 12-byte nonces and 16-byte tags, so
/// the frame format (§2) does not depend on the choice. Never renumber.
/// </summary>
[Flags]
public enum CipherSuite : byte
{
    None = 0,

    /// <summary>RFC 8439. Mandatory: constant-time in software on every CPU, so always available as fallback.</summary>
    ChaCha20Poly1305 = 0x01,

    /// <summary>
    /// NIST SP 800-38D. Preferred when both sides have AES hardware: with AES-NI/VAES it sealed 1 MiB at
    /// 4.6 GB/s vs 3.8 GB/s for ChaCha20-Poly1305 (OpenSSL 3.0, SPEC.md §3.4); AEGIS-256's 32-byte tag does not fit §2.
    /// </summary>
    Aes256Gcm = 0x02,
}

/// <summary>Which suites this process can run and which it prefers.</summary>
public static class CipherSuites
{
    /// <summary>Suites usable here: ChaCha20-Poly1305 always; AES-256-GCM only with a hardware-backed AES.</summary>
    public static CipherSuite Supported { get; } = CipherSuite.ChaCha20Poly1305
        | (System.Security.Cryptography.AesGcm.IsSupported && System.Runtime.Intrinsics.X86.Aes.IsSupported ? CipherSuite.Aes256Gcm : CipherSuite.None);

    /// <summary>The responder's choice among the offered suites: AES-256-GCM first (faster with AES-NI), else ChaCha20-Poly1305.</summary>
    public static CipherSuite Choose(CipherSuite offered, CipherSuite local)
    {
        CipherSuite common = offered & local;
        if ((common & CipherSuite.Aes256Gcm) != 0)
        {
            return CipherSuite.Aes256Gcm;
        }

        return (common & CipherSuite.ChaCha20Poly1305) != 0 ? CipherSuite.ChaCha20Poly1305 : CipherSuite.None;
    }
}
