using System.Security.Cryptography;
using System.Text;
using FedMesh.Protocol.Identity.Internal;

namespace FedMesh.Protocol.Identity;

/// <summary>
/// A peer's short, typeable name, derived from its Ed25519 public key (SPEC.md §Peer id):
/// the first 16 bytes of SHA-256("fedmesh-peer-id-v1" ‖ public key), in lowercase RFC 4648 base32 without
/// padding (26 characters). 128 bits make a second key with the same id infeasible to find, so allowlists may
/// name peers by id; the wire always carries the full 32-byte public key.
/// </summary>
public readonly record struct PeerId
{
    /// <summary>Bytes of the hash kept: 128 bits of second-preimage resistance.</summary>
    public const int ByteLength = 16;

    /// <summary>Characters of the text form: ceil(128 / 5).</summary>
    public const int TextLength = 26;

    public const int PublicKeyLength = 32;

    private static readonly byte[] Domain = Encoding.ASCII.GetBytes("fedmesh-peer-id-v1");

    /// <summary>
    /// The text with its hash, computed once. Peer ids key most of a node's tables (sessions, reputation, stores, the
    /// book, copy evidence's pairs), and hashing the 26 characters on every lookup (the runtime's randomized Marvin
    /// hash of strings) was 1.8 % of a netsim scale-1000 run's CPU samples. The hash is the very value
    /// <see cref="string.GetHashCode()"/> returns, so what it protects against (ids chosen to collide) is unchanged. A
    /// reference, not a second field: the id stays one word wide in the many lists and keys that hold it (an int beside
    /// the string made a 1,000-node run allocate 3 % more per node-round), and an id derived from a key the process has seen is the
    /// same object (<see cref="PeerIdCache"/>), which equality tests first.
    /// </summary>
    private readonly Text? _text;

    private PeerId(string text) => _text = new Text(text);

    public string Value => _text?.Value ?? string.Empty;

    public static PeerId FromPublicKey(ReadOnlySpan<byte> publicKey)
    {
        if (publicKey.Length != PublicKeyLength)
        {
            throw new ArgumentException($"an Ed25519 public key is {PublicKeyLength} bytes, got {publicKey.Length}", nameof(publicKey));
        }

        if (PeerIdCache.TryGet(publicKey, out PeerId cached))
        {
            return cached;
        }

        Span<byte> input = stackalloc byte[Domain.Length + PublicKeyLength];
        Domain.CopyTo(input);
        publicKey.CopyTo(input[Domain.Length..]);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(input, hash);
        var id = new PeerId(Base32.Encode(hash[..ByteLength]));
        PeerIdCache.Add(publicKey, id);
        return id;
    }

    /// <summary>Parses the text form; accepts upper case, rejects anything else with a message saying why.</summary>
    public static bool TryParse(string? text, out PeerId id, out string error)
    {
        id = default;
        if (string.IsNullOrEmpty(text))
        {
            error = "peer id is empty";
            return false;
        }

        string lower = text.Trim().ToLowerInvariant();
        if (lower.Length != TextLength)
        {
            error = $"peer id must be {TextLength} base32 characters, got {lower.Length}";
            return false;
        }

        if (!Base32.TryDecode(lower, out byte[] bytes) || bytes.Length != ByteLength || Base32.Encode(bytes) != lower)
        {
            error = "peer id is not valid base32 (letters a-z and digits 2-7)";
            return false;
        }

        id = new PeerId(lower);
        error = string.Empty;
        return true;
    }

    public static PeerId Parse(string text) =>
        TryParse(text, out PeerId id, out string error) ? id : throw new FormatException(error);

    /// <summary>Equal ids have equal text (the default id has none, and equals only itself). The same object, then the
    /// hash, are compared first: ids that differ are told apart without comparing their text.</summary>
    public bool Equals(PeerId other) =>
        ReferenceEquals(_text, other._text)
        || (_text is not null && other._text is not null && _text.Hash == other._text.Hash && string.Equals(_text.Value, other._text.Value, StringComparison.Ordinal));

    public override int GetHashCode() => _text?.Hash ?? 0;

    public override string ToString() => Value;

    private sealed class Text(string value)
    {
        public string Value { get; } = value;

        public int Hash { get; } = value.GetHashCode(StringComparison.Ordinal);
    }
}
