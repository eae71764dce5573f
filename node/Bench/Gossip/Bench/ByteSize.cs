using System.Globalization;

namespace FedMesh.Node.Gossip.Bench;

/// <summary>Parses sizes such as "64MiB", "16MB", "4096" (bytes) for benchmark options.</summary>
public static class ByteSize
{
    public static bool TryParse(string? text, out long bytes, out string error)
    {
        bytes = 0;
        error = string.Empty;
        string t = (text ?? string.Empty).Trim();
        (string suffix, long factor)[] units = [("KiB", 1L << 10), ("MiB", 1L << 20), ("GiB", 1L << 30), ("KB", 1000), ("MB", 1_000_000), ("GB", 1_000_000_000), ("B", 1)];
        long multiplier = 1;
        foreach ((string suffix, long factor) in units)
        {
            if (t.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
            {
                t = t[..^suffix.Length].Trim();
                multiplier = factor;
                break;
            }
        }

        if (!double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || value <= 0 || double.IsInfinity(value))
        {
            error = $"'{text}' is not a size (examples: 64MiB, 16MB, 4096)";
            return false;
        }

        bytes = (long)Math.Round(value * multiplier);
        return true;
    }
}
