using FedMesh.Protocol.Deltas;

namespace FedMesh.Node.Gossip;

/// <summary>A verified delta with its payload, as held for serving to peers.</summary>
/// <param name="Delta">The verified signed manifest.</param>
/// <param name="Payload">The verified payload (every chunk hash checked).</param>
/// <param name="ReceivedAt">When it was stored here.</param>
public sealed record StoredDelta(SignedDelta Delta, ReadOnlyMemory<byte> Payload, DateTimeOffset ReceivedAt)
{
    public string ContentIdHex { get; } = Convert.ToHexStringLower(Delta.ContentId);

    public string OriginHex { get; } = Convert.ToHexStringLower(Delta.Manifest.Origin.Span);
}

/// <summary>
/// Content-addressed store of verified deltas, bounded by count and bytes. When full, the oldest delta that is not
/// the newest of its origin goes first, then the oldest overall: the newest per origin is what late joiners need.
/// Not thread-safe (owned by the gossip engine).
/// </summary>
public sealed class DeltaStore
{
    private readonly int _maxCount;
    private readonly long _maxBytes;
    private readonly Dictionary<string, StoredDelta> _byId = new(StringComparer.Ordinal);
    private readonly Dictionary<string, StoredDelta> _latestByOrigin = new(StringComparer.Ordinal);
    private readonly LinkedList<string> _order = new();

    public DeltaStore(int maxCount, long maxBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBytes);
        _maxCount = maxCount;
        _maxBytes = maxBytes;
    }

    public int Count => _byId.Count;

    public long Bytes { get; private set; }

    public bool TryGet(string contentIdHex, out StoredDelta delta) => _byId.TryGetValue(contentIdHex, out delta!);

    /// <summary>The newest stored delta of each origin.</summary>
    public IEnumerable<StoredDelta> LatestPerOrigin => _latestByOrigin.Values;

    public void Add(StoredDelta delta)
    {
        ArgumentNullException.ThrowIfNull(delta);
        if (_byId.ContainsKey(delta.ContentIdHex))
        {
            return;
        }

        _byId.Add(delta.ContentIdHex, delta);
        _order.AddLast(delta.ContentIdHex);
        Bytes += delta.Payload.Length;
        if (!_latestByOrigin.TryGetValue(delta.OriginHex, out StoredDelta? latest) || latest.Delta.Manifest.Sequence < delta.Delta.Manifest.Sequence)
        {
            _latestByOrigin[delta.OriginHex] = delta;
        }

        while ((_byId.Count > _maxCount || Bytes > _maxBytes) && _byId.Count > 1)
        {
            Evict();
        }
    }

    private void Evict()
    {
        LinkedListNode<string>? victim = null;
        for (LinkedListNode<string>? node = _order.First; node is not null; node = node.Next)
        {
            StoredDelta d = _byId[node.Value];
            if (!ReferenceEquals(_latestByOrigin[d.OriginHex], d))
            {
                victim = node;
                break;
            }
        }

        victim ??= _order.First!;
        StoredDelta gone = _byId[victim.Value];
        _order.Remove(victim);
        _byId.Remove(victim.Value);
        Bytes -= gone.Payload.Length;
        if (ReferenceEquals(_latestByOrigin[gone.OriginHex], gone))
        {
            _latestByOrigin.Remove(gone.OriginHex);
        }
    }
}
