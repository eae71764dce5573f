using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace FedMesh.Node.Merge;

/// <summary>Why an incoming delta was kept out of aggregation.</summary>
public enum RejectionReason
{
    None,

    /// <summary>Its length differs from the adapter schema's total element count.</summary>
    WrongLength,

    /// <summary>It contains NaN or ±∞.</summary>
    NonFinite,

    /// <summary>Its weight is not a positive finite number (including a staleness discount down to 0).</summary>
    BadWeight,
}

/// <summary>
/// Checks deltas before any rule sees them: one NaN would poison every mean and turn min/max networks
/// order-dependent, and a wrong length means a different adapter schema. Pure and allocation-free per delta.
/// </summary>
public static class DeltaValidator
{
    /// <summary>Returns None or the first reason the delta is unusable, with a human-readable detail.</summary>
    public static (RejectionReason Reason, string Detail) Check(ReadOnlySpan<float> delta, double weight, int expectedLength)
    {
        if (delta.Length != expectedLength)
        {
            return (RejectionReason.WrongLength, $"delta has {delta.Length} values, the adapter schema has {expectedLength}");
        }

        if (!(weight > 0) || !double.IsFinite(weight))
        {
            return (RejectionReason.BadWeight, $"weight {weight} is not a positive finite number");
        }

        int bad = IndexOfNonFinite(delta);
        return bad >= 0
            ? (RejectionReason.NonFinite, $"value {delta[bad]} at index {bad} is not finite")
            : (RejectionReason.None, string.Empty);
    }

    /// <summary>
    /// Index of the first NaN/±∞, or −1. Uses x − x, which is 0 for every finite x and NaN otherwise, 16 lanes at a
    /// time; the exact index is then found in the offending vector.
    /// </summary>
    public static int IndexOfNonFinite(ReadOnlySpan<float> values)
    {
        int i = 0;
        ref float start = ref MemoryMarshal.GetReference(values);
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + Vector512<float>.Count <= values.Length; i += Vector512<float>.Count)
            {
                Vector512<float> v = Vector512.LoadUnsafe(ref start, (nuint)i);
                if (!Vector512.EqualsAll(v - v, Vector512<float>.Zero))
                {
                    break;
                }
            }
        }

        for (; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
            {
                return i;
            }
        }

        return -1;
    }
}
