using Prometheus;

namespace FedMesh.Node.Metrics.Internal;

/// <summary>
/// The series of one single-label gauge, replaced as a whole each round: a label in the new values is set (only
/// when its value changed, through the child kept from the last round, so no label lookup), a label that is not is
/// removed. The series thus stay as many as the last round's values however many labels a node meets over its life
/// (peers come and go). One home for the per-peer gauges (trust, divergence); thread-safe.
/// </summary>
internal sealed class LabelledGaugeSeries(Gauge gauge)
{
    private readonly Lock _lock = new();

    /// <summary>The published series by label, and the scratch for the next round's (swapped after each replace).</summary>
    private Dictionary<string, Series> _published = new(StringComparer.Ordinal);
    private Dictionary<string, Series> _next = new(StringComparer.Ordinal);

    /// <summary>Labels currently published.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _published.Count;
            }
        }
    }

    /// <summary>Publishes exactly <paramref name="values"/> (a repeated label: its last value).</summary>
    public void Replace(IReadOnlyList<KeyValuePair<string, double>> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        lock (_lock)
        {
            // By index: a foreach over the interface would box an enumerator every round.
            for (int i = 0; i < values.Count; i++)
            {
                Publish(values[i].Key, values[i].Value);
            }

            RemoveUnpublished();
        }
    }

    /// <summary>Publishes exactly <paramref name="values"/>, each under <paramref name="label"/> of its key.</summary>
    public void Replace<TKey>(Dictionary<TKey, double> values, Func<TKey, string> label)
        where TKey : notnull
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(label);
        lock (_lock)
        {
            foreach ((TKey key, double value) in values)
            {
                Publish(label(key), value);
            }

            RemoveUnpublished();
        }
    }

    /// <summary>Sets <paramref name="label"/>'s series for this replace. Under _lock.</summary>
    private void Publish(string label, double value)
    {
        bool known = _published.Remove(label, out Series series) || _next.TryGetValue(label, out series);
        if (!known)
        {
            series = new Series(gauge.WithLabels(label), double.NaN);
        }

        // NaN != NaN: a first value (or a NaN one) is always set.
        if (!(series.Value == value))
        {
            series.Child.Set(value);
        }

        _next[label] = series with { Value = value };
    }

    /// <summary>Removes the series this replace did not publish and makes the new set current. Under _lock.</summary>
    private void RemoveUnpublished()
    {
        foreach (string stale in _published.Keys)
        {
            gauge.RemoveLabelled(stale);
        }

        _published.Clear();
        (_published, _next) = (_next, _published);
    }

    private readonly record struct Series(Gauge.Child Child, double Value);
}
