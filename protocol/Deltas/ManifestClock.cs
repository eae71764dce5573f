namespace FedMesh.Protocol.Deltas;

/// <summary>
/// Bounds on a manifest's <c>timestamp_ms</c> (SPEC.md §5.2, §5.5 step 5). The field is signed by the origin but
/// otherwise unchecked input: a validly signed manifest may carry any u64, and turning one past year 9999 into a
/// <see cref="DateTimeOffset"/> throws. Receivers therefore check it against their own clock before using it as a
/// time: at most <see cref="MaxClockSkew"/> ahead, at most the staleness horizon behind.
/// </summary>
public static class ManifestClock
{
    /// <summary>
    /// How far ahead of the receiver's clock a manifest may be dated. 10 minutes is far beyond what NTP-synchronised
    /// hosts drift (milliseconds) and what an unsynchronised lab machine typically shows (seconds to a few minutes),
    /// while a state dated further ahead would otherwise look fresh, at full merge weight, for that long.
    /// </summary>
    public static readonly TimeSpan MaxClockSkew = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Checks <paramref name="timestampMs"/> against <paramref name="now"/> and returns it as a time.
    /// </summary>
    /// <param name="timestampMs">The manifest's <c>timestamp_ms</c> (Unix milliseconds).</param>
    /// <param name="now">The receiver's clock.</param>
    /// <param name="maxAge">The receiver's staleness horizon: the oldest state it could still merge.</param>
    /// <exception cref="ProtocolException"><see cref="ProtocolErrorCode.BadTimestamp"/>, naming how far off it is.</exception>
    public static DateTimeOffset Check(ulong timestampMs, DateTimeOffset now, TimeSpan maxAge)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxAge, TimeSpan.Zero);

        // Compared in milliseconds as unsigned values: no conversion of the untrusted value can overflow.
        ulong nowMs = (ulong)Math.Max(0, now.ToUnixTimeMilliseconds());
        ulong skewMs = (ulong)MaxClockSkew.TotalMilliseconds;
        if (timestampMs > nowMs + skewMs)
        {
            string ahead = timestampMs - nowMs > (ulong)TimeSpan.MaxValue.TotalMilliseconds
                ? $"{timestampMs} ms since 1970"
                : $"{TimeSpan.FromMilliseconds(timestampMs - nowMs):g} ahead of this node's clock";
            throw new ProtocolException(ProtocolErrorCode.BadTimestamp,
                $"manifest timestamp is {ahead}; at most {MaxClockSkew.TotalMinutes:0.#} min of clock skew is allowed");
        }

        ulong maxAgeMs = (ulong)maxAge.TotalMilliseconds;
        if (nowMs > maxAgeMs && timestampMs < nowMs - maxAgeMs)
        {
            throw new ProtocolException(ProtocolErrorCode.BadTimestamp,
                $"manifest timestamp is {TimeSpan.FromMilliseconds(nowMs - timestampMs):g} old, beyond the staleness horizon of {maxAge:g}");
        }

        // Now bounded by nowMs + 10 min, well inside DateTimeOffset's range.
        return DateTimeOffset.FromUnixTimeMilliseconds((long)timestampMs);
    }
}
