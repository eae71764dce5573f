using FedMesh.Node.Membership;
using FedMesh.Protocol.Identity;

namespace FedMesh.Node.Discovery;

/// <summary>A statically configured peer to dial at start: an address and, optionally, the peer id it must have.</summary>
public sealed record Seed(PeerAddress Address, PeerId? Id = null)
{
    /// <summary>Seeds are small config values; 512 characters is far beyond <c>peerid@[v6%scope]:port</c>.</summary>
    public const int MaxEntryLength = 512;

    public override string ToString() => Id is { } id ? $"{id}@{Address}" : Address.ToString();

    /// <summary>Parses <c>host:port</c>, <c>[v6]:port</c> or <c>peerid@host:port</c>.</summary>
    public static bool TryParse(string? text, out Seed seed, out string error)
    {
        seed = null!;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "seed is empty";
            return false;
        }

        if (text.Length > MaxEntryLength)
        {
            error = $"seed is longer than {MaxEntryLength} characters";
            return false;
        }

        text = text.Trim();
        PeerId? id = null;
        int at = text.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0)
        {
            if (!PeerId.TryParse(text[..at], out PeerId parsed, out string idError))
            {
                error = $"peer id before '@': {idError}";
                return false;
            }

            id = parsed;
            text = text[(at + 1)..];
        }

        if (!PeerAddress.TryParse(text, out PeerAddress address, out error))
        {
            return false;
        }

        seed = new Seed(address, id);
        return true;
    }

    /// <summary>
    /// Parses a whole seed list (config or CLI). Every bad entry is reported, each named by position and text, in one
    /// <see cref="FormatException"/>, so an operator fixes them all in one go.
    /// </summary>
    public static IReadOnlyList<Seed> ParseList(IEnumerable<string> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var seeds = new List<Seed>();
        var errors = new List<string>();
        int position = 0;
        foreach (string entry in entries)
        {
            position++;
            if (TryParse(entry, out Seed seed, out string error))
            {
                seeds.Add(seed);
            }
            else
            {
                errors.Add($"seed #{position} '{PeerAddress.Shorten(entry ?? string.Empty)}': {error}");
            }
        }

        if (errors.Count > 0)
        {
            throw new FormatException("invalid seed list: " + string.Join("; ", errors));
        }

        return seeds;
    }
}
