using System.Globalization;
using System.Text.RegularExpressions;

namespace FedMesh.NetSim.Lab.Internal;

/// <summary>Pure helpers for <c>tc</c>: parsing a rate and choosing the qdisc that realises a node's faults.</summary>
internal static partial class TrafficShaping
{
    /// <summary>8 kbit/s: below this a single full-size packet takes over 1.5 s, which no gossip timeout survives.</summary>
    public const long MinRateBitsPerSecond = 8_000;

    /// <summary>100 Gbit/s: faster than any veth on this kind of machine; a larger number is a typo.</summary>
    public const long MaxRateBitsPerSecond = 100_000_000_000;

    /// <summary>
    /// Two full Ethernet frames (2 × 1514 bytes): tbf drops every packet larger than its bucket, so the bucket must
    /// hold at least one full frame, and two let back-to-back segments through.
    /// </summary>
    public const long MinBurstBytes = 2 * 1514;

    /// <summary>
    /// 200 ms of queue: what a modest home router buffers; beyond it tbf drops, which TCP reads as congestion.
    /// </summary>
    public const string TbfLatency = "200ms";

    /// <summary>Parses tc-style rates: "1mbit", "500kbit", "2.5gbit", "64000bit", or bytes with "bps", "kbps", "mbps" (SI multiples, as tc).</summary>
    public static long ParseRate(string text)
    {
        Match match = RatePattern().Match(text ?? string.Empty);
        if (!match.Success)
        {
            throw new LabException($"rate '{text}' is invalid: use a number with bit, kbit, mbit, gbit, bps, kbps or mbps (e.g. 1mbit)");
        }

        double number = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        double factor = match.Groups[2].Value switch
        {
            "bit" => 1,
            "kbit" => 1e3,
            "mbit" => 1e6,
            "gbit" => 1e9,
            "bps" => 8,
            "kbps" => 8e3,
            "mbps" => 8e6,
            _ => throw new LabException($"rate unit '{match.Groups[2].Value}' is not supported"),
        };
        double bits = number * factor;
        if (bits is < MinRateBitsPerSecond or > MaxRateBitsPerSecond)
        {
            throw new LabException($"rate '{text}' is out of range: between {MinRateBitsPerSecond} bit/s and {MaxRateBitsPerSecond / 1e9:0} gbit/s");
        }

        return (long)bits;
    }

    /// <summary>
    /// The <c>qdisc replace</c> arguments after "dev DEV root" for the faults, or null when the link should have
    /// the default qdisc. Delay needs netem (which can also rate-limit); a rate alone uses tbf, which every kernel has.
    /// </summary>
    public static IReadOnlyList<string>? RootQdisc(LabNodeFaults faults)
    {
        ArgumentNullException.ThrowIfNull(faults);
        string rate = $"{faults.RateBitsPerSecond.ToString(CultureInfo.InvariantCulture)}bit";
        if (faults.DelayMs > 0)
        {
            string delay = $"{faults.DelayMs.ToString(CultureInfo.InvariantCulture)}ms";
            return faults.RateBitsPerSecond > 0 ? ["netem", "delay", delay, "rate", rate] : ["netem", "delay", delay];
        }

        if (faults.RateBitsPerSecond > 0)
        {
            return ["tbf", "rate", rate, "burst", BurstBytes(faults.RateBitsPerSecond).ToString(CultureInfo.InvariantCulture), "latency", TbfLatency];
        }

        return null;
    }

    /// <summary>
    /// Bucket size: 10 ms worth of the rate (a timer tick at HZ=100, the coarsest kernel; a smaller bucket caps the
    /// rate below what was asked), at least <see cref="MinBurstBytes"/>.
    /// </summary>
    public static long BurstBytes(long rateBitsPerSecond) => Math.Max(MinBurstBytes, rateBitsPerSecond / 8 / 100);

    /// <summary>True when tc's error says the kernel lacks the netem qdisc.</summary>
    public static bool IsNetemMissing(string stderr) =>
        stderr.Contains("qdisc kind is unknown", StringComparison.OrdinalIgnoreCase)
        || stderr.Contains("Unknown qdisc", StringComparison.OrdinalIgnoreCase);

    [GeneratedRegex("^([0-9]+(?:\\.[0-9]+)?)(bit|kbit|mbit|gbit|bps|kbps|mbps)$", RegexOptions.CultureInvariant)]
    private static partial Regex RatePattern();
}
