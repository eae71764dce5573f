using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
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

    /// <summary>The published series by label, each with the replace that last published it: one lookup per label per
    /// replace. (Moving each label from the last replace's dictionary to the next one's was a removal and an insertion,
    /// each hashing the label: 1.5 % of a 1,000-node netsim run's CPU samples, for the trust gauge every round.)</summary>
    private readonly Dictionary<string, Series> _published = new(StringComparer.Ordinal);

    /// <summary>Number of the replace under way (<see cref="Series.Replace"/> of the labels it published).</summary>
    private long _replace;

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
            _replace++;
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
            _replace++;
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
        ref Series series = ref CollectionsMarshal.GetValueRefOrNullRef(_published, label);
        if (Unsafe.IsNullRef(ref series))
        {
            // A new label: its child is made before it is added, so a label the gauge refuses leaves nothing behind.
            Gauge.Child child = gauge.WithLabels(label);
            child.Set(value);
            _published.Add(label, new Series(child, value, _replace));
            return;
        }

        // NaN != NaN: a NaN value is always set.
        if (!(series.Value == value))
        {
            series.Child.Set(value);
        }

        series = series with { Value = value, Replace = _replace };
    }

    /// <summary>Removes the series this replace did not publish. Under _lock.</summary>
    private void RemoveUnpublished()
    {
        // Removing while enumerating a Dictionary is allowed (Remove does not invalidate its enumerator).
        foreach ((string label, Series series) in _published)
        {
            if (series.Replace != _replace)
            {
                gauge.RemoveLabelled(label);
                _published.Remove(label);
            }
        }
    }

    /// <param name="Replace">The replace that last published the series.</param>
    private readonly record struct Series(Gauge.Child Child, double Value, long Replace);
}
