using System.Buffers;
using System.Numerics.Tensors;
using FedMesh.Protocol.Identity;

namespace FedMesh.Node.Reputation.Internal;

/// <summary>
/// Each peer's moving average of (its state − this node's aggregate), kept for <see cref="CollusionMath"/>. One
/// vector of the adapter's size per origin in the merge inbox (the caller drops the rest with <see cref="Retain"/>),
/// so it at most doubles the inbox's memory. Held in memory only: after a restart the history builds up again
/// within ~1/β rounds. Not thread-safe (the round loop owns it).
/// </summary>
internal sealed class DeviationHistory
{
    private readonly Dictionary<PeerId, float[]> _ema = [];
    private readonly double _beta;
    private float[] _deviation = [];

    /// <summary>Scratch of <see cref="Center"/> (cleared after each use): the histories, the rented buffers and the
    /// centered histories in them; and the norms of <see cref="PairCosines"/>.</summary>
    private readonly List<ReadOnlyMemory<float>> _histories = [];
    private readonly List<float[]> _buffers = [];
    private readonly List<ReadOnlyMemory<float>> _centered = [];
    private double[] _norms = [];

    public DeviationHistory(double beta) => _beta = beta;

    public int Count => _ema.Count;

    /// <summary>The peer's history (the array itself, not a copy), or null if it was not observed.</summary>
    public float[]? HistoryOf(PeerId peer) => _ema.TryGetValue(peer, out float[]? history) ? history : null;

    /// <summary>Adds this round's deviation of <paramref name="peer"/>'s state from the aggregate.</summary>
    public void Observe(PeerId peer, ReadOnlySpan<float> state, ReadOnlySpan<float> aggregate)
    {
        if (!_ema.TryGetValue(peer, out float[]? ema) || ema.Length != aggregate.Length)
        {
            ema = new float[aggregate.Length];
            TensorPrimitives.Subtract(state, aggregate, ema);
            _ema[peer] = ema;
            return;
        }

        if (_deviation.Length != aggregate.Length)
        {
            _deviation = new float[aggregate.Length];
        }

        TensorPrimitives.Subtract(state, aggregate, _deviation);
        CollusionMath.Accumulate(ema, _deviation, _beta);
    }

    /// <summary>
    /// Collusion scores of the given peers against each other (each must have been observed), in their order:
    /// <see cref="CollusionMath.Score"/> of the largest cosine of its history to another listed peer's, once what
    /// they all share is removed (<see cref="CollusionMath.WithoutCommonPart"/>).
    /// </summary>
    public double[] Scores(IReadOnlyList<PeerId> peers, double low, double high)
    {
        try
        {
            Center(peers);
            double[] scores = CollusionMath.MaxCosineToOthers(_centered);
            for (int i = 0; i < scores.Length; i++)
            {
                scores[i] = CollusionMath.Score(scores[i], low, high);
            }

            return scores;
        }
        finally
        {
            ReturnCentered();
        }
    }

    /// <summary>
    /// Hands <paramref name="pair"/>(i, j, cosine) for every pair i &lt; j of the given peers (each must have been
    /// observed): the cosine of their histories once what they all share is removed, as <see cref="Scores"/> compares
    /// them (0 when either is zero). The copy evidence's pairwise observations.
    /// </summary>
    public void PairCosines(IReadOnlyList<PeerId> peers, Action<int, int, double> pair)
    {
        ArgumentNullException.ThrowIfNull(pair);
        try
        {
            Center(peers);
            List<ReadOnlyMemory<float>> centered = _centered;
            if (_norms.Length < centered.Count)
            {
                _norms = new double[Math.Max(centered.Count, 2 * _norms.Length)];
            }

            double[] norms = _norms;
            for (int i = 0; i < centered.Count; i++)
            {
                norms[i] = TensorPrimitives.Norm(centered[i].Span);
            }

            for (int i = 0; i < centered.Count; i++)
            {
                for (int j = i + 1; j < centered.Count; j++)
                {
                    pair(i, j, norms[i] > 0 && norms[j] > 0 ? TensorPrimitives.Dot(centered[i].Span, centered[j].Span) / (norms[i] * norms[j]) : 0);
                }
            }
        }
        finally
        {
            ReturnCentered();
        }
    }

    /// <summary>Fills <see cref="_centered"/> with the peers' histories without their common part
    /// (<see cref="CollusionMath.WithoutCommonPart"/>), in buffers rented until <see cref="ReturnCentered"/>. The lists
    /// are reused (cleared each call): the round loop centers twice per merge (history cosines, scores), and fresh
    /// arrays and a delegate closing over them each time were most of the call's own cost at 1,000 nodes.</summary>
    private void Center(IReadOnlyList<PeerId> peers)
    {
        ArgumentNullException.ThrowIfNull(peers);
        _histories.Clear();
        _centered.Clear();
        _buffers.Clear();
        // Rented, not allocated: a fresh copy of every history each round was 4 % of a 1,000-node netsim run's
        // allocations. The shared pool trims what it holds under memory pressure, so a real adapter's buffers are
        // not kept for good.
        for (int i = 0; i < peers.Count; i++)
        {
            float[] history = _ema[peers[i]];
            _histories.Add(history);
            float[] buffer = ArrayPool<float>.Shared.Rent(history.Length);
            _buffers.Add(buffer);
            _centered.Add(new ReadOnlyMemory<float>(buffer, 0, history.Length));
        }

        CollusionMath.WithoutCommonPart(_histories, _buffers);
    }

    private void ReturnCentered()
    {
        foreach (float[] buffer in _buffers)
        {
            ArrayPool<float>.Shared.Return(buffer);
        }

        _buffers.Clear();
        _histories.Clear();
        _centered.Clear();
    }

    /// <summary>Forgets every peer that is not a key of <paramref name="keep"/> (the coordinator's inbox, read in
    /// place instead of a set copied from it every round). Removes in the history's own order, as a copied list of the
    /// peers to drop did.</summary>
    public void Retain<TValue>(IReadOnlyDictionary<PeerId, TValue> keep)
    {
        // Removing while enumerating a Dictionary is allowed (Remove does not invalidate its enumerator).
        foreach (PeerId peer in _ema.Keys)
        {
            if (!keep.ContainsKey(peer))
            {
                _ema.Remove(peer);
            }
        }
    }
}
