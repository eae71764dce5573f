using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using FedMesh.Protocol.Identity;

namespace FedMesh.Node.Configuration.Internal;

/// <summary>Value checks shared by the key table; each returns the problem as text, or null when the value is fine.</summary>
internal static partial class KeyChecks
{
    /// <summary>Longest accepted string value; configuration strings are names, paths and patterns, never data.</summary>
    internal const int MaxStringLength = 4096;

    /// <summary>Most entries in one list (allowlist, seeds, patterns); bounds work done on a hostile file.</summary>
    internal const int MaxListLength = 1024;

    /// <summary>Per-pattern regex timeout, so a catastrophic-backtracking pattern cannot stall data loading.</summary>
    internal static readonly TimeSpan RegexTimeout = TimeSpan.FromSeconds(1);

    internal static string? Range(long value, long min, long max) =>
        value < min || value > max
            ? $"must be between {min.ToString(CultureInfo.InvariantCulture)} and {max.ToString(CultureInfo.InvariantCulture)}, got {value.ToString(CultureInfo.InvariantCulture)}"
            : null;

    /// <summary>Checks min ≤ value ≤ max, or min &lt; value when <paramref name="minExclusive"/>.</summary>
    internal static string? Range(double value, double min, double max, bool minExclusive = false)
    {
        string got = value.ToString("R", CultureInfo.InvariantCulture);
        if (!double.IsFinite(value))
        {
            return $"must be a finite number, got {got}";
        }

        bool low = minExclusive ? value <= min : value < min;
        if (low || value > max)
        {
            string lower = minExclusive ? "greater than " : "between ";
            string upper = minExclusive ? " and at most " : " and ";
            return $"must be {lower}{min.ToString("R", CultureInfo.InvariantCulture)}{upper}{max.ToString("R", CultureInfo.InvariantCulture)}, got {got}";
        }

        return null;
    }

    /// <summary>
    /// σ of DP: 0 (planned at start from the budget, see <see cref="Privacy.PrivacyPlanner"/>) or 0.3..1000. Below ~0.3 the Rényi-DP bound grows like e^(k²/2σ²) and is no privacy
    /// at all (the ledger refuses such releases), so such a value is a mistake to report at load, not after the base
    /// model and data have loaded.
    /// </summary>
    internal static string? NoiseMultiplier(double value)
    {
        const double MinimumSigma = Privacy.PrivacyPlanner.MinNoiseMultiplier;
        // The planner's grid ends well below this; a larger σ drowns any signal, so it is a typing mistake.
        const double MaximumSigma = 1000;
        string got = value.ToString("R", CultureInfo.InvariantCulture);
        return !double.IsFinite(value) ? $"must be a finite number, got {got}"
            : value == 0 || (value >= MinimumSigma && value <= MaximumSigma) ? null
            : $"must be 0 (planned at start so privacy.planned_rounds fit the budget; to turn DP off set privacy.level = \"off\") or between {MinimumSigma.ToString(CultureInfo.InvariantCulture)} and {MaximumSigma.ToString(CultureInfo.InvariantCulture)} " +
              $"(below {MinimumSigma.ToString(CultureInfo.InvariantCulture)} the privacy bound is meaningless), got {got}";
    }

    /// <summary>LoRA target names the learner knows, at least one.</summary>
    internal static string? LoraTargetList(IReadOnlyList<string> values) =>
        Each(values, Identifier, allowEmpty: false) is { } problem ? problem
            : Learning.LoraTargetNames.TryParse(values.Where(v => !Learning.LoraTargetNames.IsModuleName(v)), out _, out string? unknown) ? null
            : $"has unknown target \"{Shorten(unknown ?? string.Empty)}\" (known: {Learning.LoraTargetNames.Known}, or PEFT module names {Learning.LoraTargetNames.KnownModules})";

    /// <summary>learning.base: "builtin" or an absolute path.</summary>
    internal static string? BaseSetting(string value) =>
        value == LearningSection.BuiltinBase ? null
            : AbsolutePath(value) is null ? null
            : $"must be \"builtin\" or an absolute path (a Hugging Face model folder or a pretrain checkpoint), got \"{Shorten(value)}\"";

    /// <summary>A short identifier: 1..64 of [a-z0-9_-], starting with a letter or digit.</summary>
    internal static string? Identifier(string value) =>
        IdentifierPattern().IsMatch(value) ? null : $"must be 1-64 characters of a-z, 0-9, '_' or '-', got \"{Shorten(value)}\"";

    /// <summary>A display name: 1..64 printable characters of [A-Za-z0-9._-].</summary>
    internal static string? Name(string value) =>
        NamePattern().IsMatch(value) ? null : $"must be 1-64 characters of A-Z, a-z, 0-9, '.', '_' or '-', got \"{Shorten(value)}\"";

    internal static string? AbsolutePath(string value) =>
        value.Length == 0 || value.Length > MaxStringLength || !System.IO.Path.IsPathRooted(value) || value.Contains('\0', StringComparison.Ordinal)
            ? $"must be an absolute path, got \"{Shorten(value)}\""
            : null;

    internal static string? IpAddress(string value) =>
        IPAddress.TryParse(value, out _) ? null : $"must be an IP address such as \"::\" or \"0.0.0.0\", got \"{Shorten(value)}\"";

    internal static string? OneOf(string value, IReadOnlyList<string> allowed) =>
        allowed.Contains(value, StringComparer.Ordinal)
            ? null
            : $"must be one of {string.Join(", ", allowed.Select(a => $"\"{a}\""))}, got \"{Shorten(value)}\"";

    /// <summary><c>host:port</c> with a port in 1..65535; IPv6 hosts in brackets (<c>[::1]:7461</c>).</summary>
    internal static string? HostPort(string value)
    {
        if (!TrySplitHostPort(value, out string host, out int port) || host.Length == 0 || port is < 1 or > 65535)
        {
            return $"must be host:port with a port from 1 to 65535, got \"{Shorten(value)}\"";
        }

        return null;
    }

    /// <summary>
    /// An address the node listens on (admin, metrics): an IP address and port, or <c>localhost:port</c>; IPv6 in
    /// brackets (<c>[::]:9465</c> is dual-stack); port 0 = any free port. Exactly what the endpoint server binds.
    /// </summary>
    internal static string? ListenHostPort(string value) =>
        TryParseListen(value, out _)
            ? null
            : $"must be an IP address and port such as \"127.0.0.1:9465\", \"0.0.0.0:9465\" or \"[::1]:9465\" (or localhost:PORT; port 0 = any free port, reported in <state_dir>/{Hosting.NodeEndpoints.FileName}), got \"{Shorten(value)}\"";

    /// <summary>Parses a listen address (see <see cref="ListenHostPort"/>); "localhost" is the IPv4 loopback.</summary>
    internal static bool TryParseListen(string value, out IPEndPoint endPoint)
    {
        endPoint = null!;
        if (!TrySplitHostPort(value, out string host, out int port) || port is < 0 or > 65535)
        {
            return false;
        }

        IPAddress? address = host.Equals("localhost", StringComparison.OrdinalIgnoreCase) ? IPAddress.Loopback
            : host.StartsWith('[') ? IPAddress.Parse(host[1..^1])
            : IPAddress.TryParse(host, out IPAddress? ip) && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? ip
            : null;
        if (address is null)
        {
            return false;
        }

        endPoint = new IPEndPoint(address, port);
        return true;
    }

    /// <summary>A seed: <c>host:port</c> or <c>peerid@host:port</c>.</summary>
    internal static string? Seed(string value)
    {
        int at = value.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0 && !PeerId.TryParse(value[..at], out _, out string error))
        {
            return $"has a bad peer id in \"{Shorten(value)}\": {error}";
        }

        string? problem = HostPort(at >= 0 ? value[(at + 1)..] : value);
        return problem is null ? null : $"entries must be host:port or peerid@host:port, got \"{Shorten(value)}\"";
    }

    internal static string? PeerIdText(string value) =>
        PeerId.TryParse(value, out _, out string error) ? null : $"has a bad peer id \"{Shorten(value)}\": {error}";

    internal static string? RegexPattern(string value)
    {
        try
        {
            _ = new Regex(value, RegexOptions.CultureInvariant, RegexTimeout);
            return null;
        }
        catch (ArgumentException ex)
        {
            return $"has an invalid regular expression \"{Shorten(value)}\": {ex.Message}";
        }
    }

    /// <summary>Applies <paramref name="each"/> to every entry and bounds the list length.</summary>
    internal static string? Each(IReadOnlyList<string> values, Func<string, string?> each, bool allowEmpty = true)
    {
        if (values.Count > MaxListLength)
        {
            return $"must have at most {MaxListLength} entries, got {values.Count}";
        }

        if (!allowEmpty && values.Count == 0)
        {
            return "must not be empty";
        }

        foreach (string value in values)
        {
            if (each(value) is { } problem)
            {
                return problem;
            }
        }

        return null;
    }

    internal static string? NonEmpty(string value) =>
        value.Length is 0 or > MaxStringLength ? $"must be 1-{MaxStringLength} characters long, got {value.Length}" : null;

    private static bool TrySplitHostPort(string value, out string host, out int port)
    {
        host = string.Empty;
        port = 0;
        int colon = value.LastIndexOf(':');
        if (colon <= 0)
        {
            return false;
        }

        host = value[..colon];
        if (host.StartsWith('['))
        {
            if (!host.EndsWith(']') || !IPAddress.TryParse(host[1..^1], out _))
            {
                return false;
            }
        }
        else if (host.Contains(':', StringComparison.Ordinal))
        {
            // An unbracketed IPv6 address is ambiguous with the port separator.
            return false;
        }

        return int.TryParse(value.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out port);
    }

    private static string Shorten(string value) => value.Length <= 80 ? value : value[..77] + "...";

    [GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,63}$", RegexOptions.CultureInvariant)]
    private static partial Regex IdentifierPattern();

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();
}
