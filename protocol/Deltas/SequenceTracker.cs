using System.Buffers;
using FedMesh.Protocol.IO;
using FedMesh.Protocol.Messages.Internal;
using MessagePack;

namespace FedMesh.Protocol.Deltas;

/// <summary>
/// Highest accepted delta sequence per origin (SPEC.md §5.6): a delta whose sequence is not strictly greater
/// than the last one accepted from its origin is a replay or stale, and is refused with StaleSequence. Check
/// with <see cref="EnsureFresh"/> when the manifest arrives (before downloading), <see cref="Commit"/> once the
/// delta is complete and used. State serialises to MessagePack ([[origin bin32, sequence u64]…]) so the
/// node persists it (<see cref="Save"/> is atomic) and replays stay refused across restarts. Thread-safe.
/// </summary>
public sealed class SequenceTracker
{
    /// <summary>Origins remembered: a mesh of 100 000 nodes, far beyond the research-consortium and edge sizes
    /// targeted; bounds the state file (≈ 4.3 MB) and the memory a flood of new origins can take.</summary>
    public const int MaxOrigins = 100_000;

    /// <summary>Hex digits of an origin key (<see cref="DeltaLimits.HashLength"/> bytes).</summary>
    private const int KeyChars = 2 * DeltaLimits.HashLength;

    private readonly Dictionary<string, ulong> _last = new(StringComparer.Ordinal);

    /// <summary><see cref="_last"/> looked up by the key's characters: every manifest and delta checks its origin
    /// here, and a new 64-character string per check was 1 % of a 1,000-node netsim run's allocations; a key's
    /// string is made only when it is added.</summary>
    private readonly Dictionary<string, ulong>.AlternateLookup<ReadOnlySpan<char>> _byKey;

    public SequenceTracker() => _byKey = _last.GetAlternateLookup<ReadOnlySpan<char>>();
    private readonly Lock _gate = new();

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _last.Count;
            }
        }
    }

    /// <summary>The last accepted sequence of an origin, or null if none.</summary>
    public ulong? LastAccepted(ReadOnlySpan<byte> origin)
    {
        ReadOnlySpan<char> key = Key(origin, stackalloc char[KeyChars]);
        lock (_gate)
        {
            return _byKey.TryGetValue(key, out ulong seq) ? seq : null;
        }
    }

    /// <summary>Throws StaleSequence unless <paramref name="sequence"/> is newer than the origin's last accepted.</summary>
    public void EnsureFresh(ReadOnlySpan<byte> origin, ulong sequence)
    {
        ReadOnlySpan<char> key = Key(origin, stackalloc char[KeyChars]);
        lock (_gate)
        {
            if (_byKey.TryGetValue(key, out ulong last) && sequence <= last)
            {
                throw new ProtocolException(ProtocolErrorCode.StaleSequence, $"origin {key[..16]}… sequence {sequence} is not newer than {last}");
            }
        }
    }

    /// <summary>Records <paramref name="sequence"/> as accepted; throws StaleSequence if it is not newer
    /// (another transfer of the same origin won the race), Overloaded when the origin table is full.</summary>
    public void Commit(ReadOnlySpan<byte> origin, ulong sequence)
    {
        ReadOnlySpan<char> key = Key(origin, stackalloc char[KeyChars]);
        lock (_gate)
        {
            bool known = _byKey.TryGetValue(key, out ulong last);
            if (known && sequence <= last)
            {
                throw new ProtocolException(ProtocolErrorCode.StaleSequence, $"origin {key[..16]}… sequence {sequence} is not newer than {last}");
            }

            if (!known && _last.Count >= MaxOrigins)
            {
                throw new ProtocolException(ProtocolErrorCode.Overloaded, $"tracking {MaxOrigins} origins already");
            }

            _byKey[key] = sequence;
        }
    }

    public byte[] Serialize()
    {
        KeyValuePair<string, ulong>[] entries;
        lock (_gate)
        {
            entries = _last.OrderBy(e => e.Key, StringComparer.Ordinal).ToArray();
        }

        var buffer = new ArrayBufferWriter<byte>(16 + (entries.Length * 45));
        var w = new MessagePackWriter(buffer);
        w.WriteArrayHeader(entries.Length);
        foreach ((string key, ulong seq) in entries)
        {
            w.WriteArrayHeader(2);
            w.Write(Convert.FromHexString(key));
            w.Write(seq);
        }

        w.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Parses serialised state; a corrupt file is MalformedMessage naming the problem.</summary>
    public static SequenceTracker Deserialize(ReadOnlyMemory<byte> bytes)
    {
        const string what = "sequence state";
        return BodyReader.Guard(what, () =>
        {
            var r = new BodyReader(bytes, what);
            int count = r.ReadArrayHeader("origins", 0, MaxOrigins);
            var tracker = new SequenceTracker();
            for (int i = 0; i < count; i++)
            {
                r.ReadArrayHeader("entry", 2, 2);
                string key = Convert.ToHexStringLower(r.ReadFixedBin("origin", DeltaLimits.HashLength));
                if (!tracker._last.TryAdd(key, r.ReadUInt64("sequence")))
                {
                    throw r.Error($"origin {key} listed twice");
                }
            }

            if (!r.End)
            {
                throw r.Error("bytes after the state array");
            }

            return tracker;
        });
    }

    /// <summary>Writes the state atomically (temp file, fsync, rename).</summary>
    public void Save(string path) => AtomicFile.Write(path, Serialize());

    /// <summary>Loads state saved by <see cref="Save"/>; a missing file is an empty tracker.</summary>
    public static SequenceTracker Load(string path)
    {
        if (!File.Exists(path))
        {
            return new SequenceTracker();
        }

        FileInfo info = new(path);
        // Bound before reading: 45 bytes per entry (array header, bin32 with header, u64) plus the outer header.
        const long maxBytes = 16 + (45L * MaxOrigins);
        if (info.Length > maxBytes)
        {
            throw new ProtocolException(ProtocolErrorCode.MalformedMessage, $"sequence state '{path}' is {info.Length} bytes, above the {maxBytes}-byte cap");
        }

        return Deserialize(File.ReadAllBytes(path));
    }

    /// <summary>The origin's key (lower-case hex, as the dictionary holds it), written into <paramref name="chars"/>.</summary>
    private static ReadOnlySpan<char> Key(ReadOnlySpan<byte> origin, Span<char> chars)
    {
        if (origin.Length != DeltaLimits.HashLength)
        {
            throw new ArgumentException($"origin key must be {DeltaLimits.HashLength} bytes", nameof(origin));
        }

        _ = Convert.TryToHexStringLower(origin, chars, out _);
        return chars;
    }
}
