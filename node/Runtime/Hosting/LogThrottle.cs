namespace FedMesh.Node.Hosting;

/// <summary>
/// At most one log line per key (an address) per <c>interval</c>: a dead seed redialled with backoff, or a flood of
/// refused connections, must not fill the log, yet the first occurrence of each is always written. Counts the lines
/// held back so the next one written can say how many. Memory is bounded by <c>maxKeys</c>. Thread-safe.
/// </summary>
internal sealed class LogThrottle(TimeProvider time, TimeSpan interval, int maxKeys)
{
    private readonly Dictionary<string, Entry> _keys = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <summary>True when a line for <paramref name="key"/> should be written now; <paramref name="suppressed"/> is
    /// the number held back since the last one written.</summary>
    public bool ShouldLog(string key, out int suppressed)
    {
        DateTimeOffset now = time.GetUtcNow();
        lock (_lock)
        {
            if (_keys.TryGetValue(key, out Entry? entry))
            {
                if (now - entry.LastLogged < interval)
                {
                    entry.Suppressed++;
                    suppressed = 0;
                    return false;
                }

                suppressed = entry.Suppressed;
                entry.Suppressed = 0;
                entry.LastLogged = now;
                return true;
            }

            if (_keys.Count >= maxKeys)
            {
                // Forget the key logged longest ago; at worst it is logged once more early.
                _keys.Remove(_keys.MinBy(k => k.Value.LastLogged).Key);
            }

            _keys[key] = new Entry { LastLogged = now };
            suppressed = 0;
            return true;
        }
    }

    private sealed class Entry
    {
        public DateTimeOffset LastLogged { get; set; }

        public int Suppressed { get; set; }
    }
}
