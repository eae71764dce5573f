using System.Numerics.Tensors;

namespace FedMesh.Node.Mesh;

/// <summary>
/// Which states a receiver resolves a modulo int8 release (SPEC.md §5.4 code 5) against when its own current state
/// fails the check. Pure functions, so tests check the order directly.
/// </summary>
/// <remarks>
/// <para>Why: a sender picks its step from the states it heard (2 × the largest difference / 127), so a receiver that is
/// farther from it than that cannot decode, and its own state is the only side information the codec names. At
/// byzantine-30 (scaling attack, λ = 10, seed 5, neighbours mode) that refusal was selective: an attacker's λ·x is far
/// from everything it heard, so its releases go out as plain int8 and always decode, while an honest sender whose
/// inbox held only honest states sent fine modulo steps. Once the attackers had pulled a node away in one round, the
/// honest releases of the next failed at it and only the attackers' arrived: node 12 lost honest node 7's state in
/// round 3, its centered-clipping radius (the median distance) moved from an honest input's 7.0 to an attacker's 33.3,
/// and it was pulled to 18.9 instead of 4.8. It then kept trusting five of the six attackers (with int8 it ignores all
/// six from round 11), and from round 15 (five attackers and one honest node in its inbox, so the median distance is
/// an attacker's) it was captured for good (distance 43.8 against 0.045 with int8). With the two refused states delivered instead, the same run ends at 0.036.</para>
/// <para>Any state within 127 steps of the sender's resolves every element exactly (Q̂ = Q), whoever it belongs to,
/// and one farther away fails the check, so a receiver may try other states it holds: a wrong one is accepted only if
/// every block it wraps passes its 16-bit check (about 2⁻¹⁶ per block), so at most
/// <see cref="MaxFallbacks"/> tries keep that below 8 · 2⁻¹⁶ ≈ 1.2 · 10⁻⁴ per refused one-block tensor, and the
/// merge's distance bound and clipping treat such a state like any far input.</para>
/// <para>Order: the states most likely near the sender first. The receiver's own state before its last merge (what
/// it held before a merge pulled it, the case above), then the origin's own previous state (a sender moves little
/// between consecutive releases), then the other states it holds, nearest its own first.</para>
/// </remarks>
public static class ModuloReferences
{
    /// <summary>
    /// At most this many states besides the receiver's own are tried: 8 bounds a wrong acceptance by 8 · 2⁻¹⁶ per
    /// refused one-block tensor (see remarks) and the extra work by 8 decodes; neighbours mode holds the states of a
    /// handful of peers (byzantine-30's victims held 6 to 14), so the nearest 8 cover most of an inbox.
    /// </summary>
    public const int MaxFallbacks = 8;

    /// <summary>
    /// The states to try after <paramref name="own"/> failed: <paramref name="preferred"/> in the order given, then
    /// <paramref name="others"/> nearest <paramref name="own"/> first (ties by position); nulls, states of another
    /// length and states equal to <paramref name="own"/> (they would fail the same way) are skipped, each array is
    /// tried once, and at most <paramref name="max"/> are returned.
    /// </summary>
    public static IReadOnlyList<float[]> Order(ReadOnlySpan<float> own, IReadOnlyList<float[]?> preferred, IReadOnlyList<float[]> others, int max = MaxFallbacks)
    {
        ArgumentNullException.ThrowIfNull(preferred);
        ArgumentNullException.ThrowIfNull(others);
        ArgumentOutOfRangeException.ThrowIfNegative(max);
        var result = new List<float[]>(Math.Min(max, preferred.Count + others.Count));
        foreach (float[]? state in preferred)
        {
            if (result.Count < max && Usable(own, state, result))
            {
                result.Add(state!);
            }
        }

        var ranked = new List<(double Distance, int Index)>(others.Count);
        for (int i = 0; i < others.Count; i++)
        {
            if (Usable(own, others[i], result))
            {
                ranked.Add((TensorPrimitives.Distance(own, others[i]), i));
            }
        }

        ranked.Sort();
        foreach ((_, int index) in ranked)
        {
            if (result.Count >= max)
            {
                break;
            }

            if (!result.Contains(others[index]))
            {
                result.Add(others[index]);
            }
        }

        return result;
    }

    private static bool Usable(ReadOnlySpan<float> own, float[]? state, List<float[]> taken) =>
        state is not null && state.Length == own.Length && !taken.Contains(state) && !own.SequenceEqual(state);
}
