namespace FedMesh.Protocol.Deltas;

/// <summary>
/// Delta-manifest signatures a process has already established as valid, so a process that hosts many nodes (netsim
/// runs a thousand in one) checks each signature once instead of once per receiving node. An entry is the BLAKE3-256
/// hash of (origin key, signature, signing input): a hit means these exact bytes were verified before (or produced by
/// <see cref="SignedDelta.Create"/>, whose Ed25519 signature verifies by construction, RFC 8032 §5.1.6–7), so the
/// outcome of the Ed25519 check is known. Any other byte — a tampered manifest, signature or key — misses and is
/// verified in full. Every check besides the signature (<see cref="SignedDelta.Verify(Messages.DeltaManifestMessage, LocalMesh, NSec.Cryptography.PublicKey?, SignatureMemo?)"/>)
/// still runs. The daemon does not use one: it receives each delta once.
/// Thread-safe; holds at most <see cref="Capacity"/> entries and forgets the oldest first.
/// </summary>
public sealed class SignatureMemo
{
    /// <summary>Entries kept by default: 2^17 × ~100 bytes ≈ 13 MB. At netsim's largest run (1,000 nodes, one release
    /// each a round, a release relayed for a few rounds at most) that covers about 130 rounds of releases.</summary>
    public const int DefaultCapacity = 1 << 17;

    private readonly Lock _lock = new();
    private readonly HashSet<Entry> _known;
    private readonly Queue<Entry> _order;

    /// <param name="capacity">Entries kept before the oldest is forgotten (at least 1).</param>
    public SignatureMemo(int capacity = DefaultCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        Capacity = capacity;
        _known = new HashSet<Entry>(capacity);
        _order = new Queue<Entry>(capacity);
    }

    public int Capacity { get; }

    /// <summary>Signature checks answered from the memo instead of Ed25519.</summary>
    public long Hits { get; private set; }

    /// <summary>Entries held now.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _known.Count;
            }
        }
    }

    internal bool Knows(ReadOnlySpan<byte> origin, ReadOnlySpan<byte> signature, ReadOnlySpan<byte> signingInput)
    {
        Entry entry = Entry.Of(origin, signature, signingInput);
        lock (_lock)
        {
            if (!_known.Contains(entry))
            {
                return false;
            }

            Hits++;
            return true;
        }
    }

    internal void Remember(ReadOnlySpan<byte> origin, ReadOnlySpan<byte> signature, ReadOnlySpan<byte> signingInput)
    {
        Entry entry = Entry.Of(origin, signature, signingInput);
        lock (_lock)
        {
            if (!_known.Add(entry))
            {
                return;
            }

            _order.Enqueue(entry);
            if (_order.Count > Capacity)
            {
                _known.Remove(_order.Dequeue());
            }
        }
    }

    /// <summary>The 256-bit hash of one (key, signature, input) triple.</summary>
    private readonly record struct Entry(ulong A, ulong B, ulong C, ulong D)
    {
        public static Entry Of(ReadOnlySpan<byte> origin, ReadOnlySpan<byte> signature, ReadOnlySpan<byte> signingInput)
        {
            using var hasher = Blake3.Hasher.New();
            // Lengths first, so no two different triples hash the same concatenation.
            Span<byte> lengths = stackalloc byte[8];
            System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(lengths, origin.Length);
            System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(lengths[4..], signature.Length);
            hasher.Update(lengths);
            hasher.Update(origin);
            hasher.Update(signature);
            hasher.Update(signingInput);
            Span<byte> hash = stackalloc byte[DeltaLimits.HashLength];
            hasher.Finalize(hash);
            return new Entry(
                System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(hash),
                System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(hash[8..]),
                System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(hash[16..]),
                System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(hash[24..]));
        }
    }
}
