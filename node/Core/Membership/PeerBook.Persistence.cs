using System.Text.Json;
using FedMesh.Node.Membership.Internal;
using FedMesh.Protocol.Identity;
using FedMesh.Protocol.IO;

namespace FedMesh.Node.Membership;

public sealed partial class PeerBook
{
    /// <summary>The peers.json format version this code reads and writes.</summary>
    public const int FileVersion = 1;

    /// <summary>Writes the book to <paramref name="path"/> atomically (temp file, fsync, rename: <see cref="AtomicFile"/>).</summary>
    public void Save(string path)
    {
        PeerBookFile file;
        lock (_lock)
        {
            file = new PeerBookFile
            {
                Version = FileVersion,
                Peers = [.. _peers.Values.OrderBy(r => r.Id.Value, StringComparer.Ordinal).Select(ToFile)],
            };
        }

        byte[] json = JsonSerializer.SerializeToUtf8Bytes(file, PeerBookJsonContext.Default.PeerBookFile);
        AtomicFile.Write(path, json, Storage.StateDirectory.FileMode);
    }

    /// <summary>
    /// Loads <paramref name="path"/> into this (normally empty) book. A missing file is an empty book. A file that is
    /// too large, not JSON, or of another version is moved aside to <c>path.corrupt</c> with a warning and the book
    /// starts empty: a damaged cache must never stop the node. Individually invalid entries are skipped with a
    /// warning. Returns the number of entries loaded.
    /// </summary>
    public int Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            return 0;
        }

        PeerBookFile? file;
        try
        {
            long length = new FileInfo(path).Length;
            if (length > Options.MaxFileBytes)
            {
                throw new InvalidDataException($"file is {length} bytes, more than the {Options.MaxFileBytes} allowed");
            }

            file = JsonSerializer.Deserialize(File.ReadAllBytes(path), PeerBookJsonContext.Default.PeerBookFile);
            if (file is null || file.Version != FileVersion || file.Peers is null)
            {
                throw new InvalidDataException($"expected a version {FileVersion} peer book, found version {file?.Version.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}");
            }
        }
        catch (Exception e) when (e is JsonException or InvalidDataException or NotSupportedException)
        {
            string aside = path + ".corrupt";
            File.Move(path, aside, overwrite: true);
            Log.CorruptBook(_logger, path, aside, e.Message);
            return 0;
        }

        int loaded = 0;
        DateTimeOffset now = _time.GetUtcNow();
        lock (_lock)
        {
            // Only the first Capacity entries are looked at: the file is ours, but may have been edited or grown by a
            // build with a larger capacity.
            foreach (PeerBookFileEntry entry in file.Peers.Take(Options.Capacity))
            {
                if (!TryFromFile(entry, out PeerRecord? record, out string error))
                {
                    Log.BadBookEntry(_logger, path, error);
                    continue;
                }

                if (record.Id != Self && !_peers.ContainsKey(record.Id) && TryInsert(record, now))
                {
                    loaded++;
                }
            }
        }

        return loaded;
    }

    private static PeerBookFileEntry ToFile(PeerRecord r) => new()
    {
        Id = r.Id.Value,
        PublicKey = r.PublicKey is null ? null : Convert.ToBase64String(r.PublicKey),
        Addresses = [.. r.Addresses.Select(a => a.ToString())],
        Sources = r.Sources,
        MeshId = r.MeshId,
        AddedAt = r.AddedAt,
        LastSeen = r.LastSeen,
        Failures = r.Failures,
    };

    private bool TryFromFile(PeerBookFileEntry e, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out PeerRecord? record, out string error)
    {
        record = null;
        if (!PeerId.TryParse(e.Id, out PeerId id, out error))
        {
            error = $"entry '{PeerAddress.Shorten(e.Id ?? string.Empty)}': {error}";
            return false;
        }

        byte[]? key = null;
        if (e.PublicKey is not null)
        {
            key = new byte[PeerId.PublicKeyLength];
            if (!Convert.TryFromBase64String(e.PublicKey, key, out int written) || written != key.Length || !PexSanity.KeyMatchesId(id, key))
            {
                error = $"entry {id}: publicKey is not the base64 Ed25519 key of this peer id";
                return false;
            }
        }

        var addresses = new List<PeerAddress>();
        foreach (string text in (e.Addresses ?? []).Take(Options.MaxAddressesPerPeer))
        {
            if (!PeerAddress.TryParse(text, out PeerAddress address, out string addressError))
            {
                error = $"entry {id}: address '{PeerAddress.Shorten(text ?? string.Empty)}': {addressError}";
                return false;
            }

            addresses.Add(address);
        }

        // 0xF covers the four defined PeerSources flags; anything else is not a value this code wrote.
        if (e.Sources == PeerSources.None || ((int)e.Sources & ~0xF) != 0 || e.Failures < 0)
        {
            error = $"entry {id}: sources or failures out of range";
            return false;
        }

        record = new PeerRecord
        {
            Id = id,
            PublicKey = key,
            Addresses = addresses,
            Sources = e.Sources,
            MeshId = e.MeshId,
            AddedAt = e.AddedAt,
            LastSeen = e.LastSeen,
            Failures = e.Failures,
        };
        error = string.Empty;
        return true;
    }
}
