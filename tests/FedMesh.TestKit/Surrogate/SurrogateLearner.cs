using System.Numerics.Tensors;
using FedMesh.Node.Learning.Surrogate.Internal;
using FedMesh.Protocol.Deltas;

namespace FedMesh.Node.Learning.Surrogate;

/// <summary>
/// An <see cref="ILearner"/> on the surrogate linear-regression task (<see cref="SurrogateProblem"/>): minibatch SGD
/// on MSE over the node's own seeded samples. Cheap (O(steps · batch · d) per round) and deterministic, so netsim
/// can run thousands of nodes with the node's real gossip, merge and privacy code around it.
/// <para><see cref="Evaluate(IReadOnlyList{string})"/> ignores its documents argument: the surrogate's held-out
/// set is its own seeded test split. <see cref="Evaluation.Loss"/> is the held-out MSE, <see cref="Evaluation.Bytes"/>
/// the number of held-out samples and <see cref="Evaluation.BitsPerByte"/> NaN (there are no bytes to score).</para>
/// Not thread-safe.
/// </summary>
public sealed class SurrogateLearner : ILearner
{
    private readonly int _d;
    private readonly float[] _trainX;
    private readonly float[] _trainY;
    private readonly float[] _testX;
    private readonly float[] _testY;
    private readonly float[] _optimum;
    private readonly float[] _w;
    private readonly float[] _gradient;
    private readonly Random _batches;
    private readonly SurrogateOptions _options;
    private long _stepsTaken;

    internal SurrogateLearner(SurrogateProblem problem, int node, float[] localOptimum)
    {
        _options = problem.Options;
        _d = _options.Dimension;
        Schema = problem.Schema;
        BaseModelHash = problem.BaseModelHash;
        Node = node;
        _optimum = localOptimum;
        var data = new Random(SeededSampling.DeriveSeed(_options.Seed, 1 + (2 * (ulong)node)));
        (_trainX, _trainY) = Sample(data, _options.TrainSamples);
        (_testX, _testY) = Sample(data, _options.TestSamples);
        _batches = new Random(SeededSampling.DeriveSeed(_options.Seed, 2 + (2 * (ulong)node)));
        _w = new float[_d];
        _gradient = new float[_d];
    }

    /// <summary>Index of the node whose data this learner holds.</summary>
    public int Node { get; }

    public AdapterSchema Schema { get; }

    public ReadOnlyMemory<byte> BaseModelHash { get; }

    public float[] GetAdapter() => (float[])_w.Clone();

    public void SetAdapter(ReadOnlySpan<float> adapter)
    {
        CheckLength(adapter);
        adapter.CopyTo(_w);
    }

    public void ApplyDelta(ReadOnlySpan<float> delta)
    {
        CheckLength(delta);
        TensorPrimitives.Add(_w, delta, _w);
    }

    /// <summary>Minibatch SGD on MSE: w ← w − η_k·(2/b)·Σ (x·w − y)·x over b samples drawn with replacement, with
    /// η_k = <see cref="StepSize"/>(η, τ, k) for this learner's k-th step overall.</summary>
    public LocalRound Train(int steps, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(steps);
        float[] before = GetAdapter();
        double lossSum = 0;
        int done = 0;
        int b = _options.BatchSize;
        for (; done < steps && !cancellationToken.IsCancellationRequested; done++)
        {
            Array.Clear(_gradient);
            double batchLoss = 0;
            for (int j = 0; j < b; j++)
            {
                int row = _batches.Next(_options.TrainSamples);
                ReadOnlySpan<float> x = _trainX.AsSpan(row * _d, _d);
                float residual = TensorPrimitives.Dot(x, _w) - _trainY[row];
                batchLoss += (double)residual * residual;
                TensorPrimitives.MultiplyAdd(x, residual, _gradient, _gradient);
            }

            lossSum += batchLoss / b;
            double eta = StepSize(_options.LearningRate, _options.LearningRateDecaySteps, _stepsTaken++);
            TensorPrimitives.MultiplyAdd(_gradient, (float)(-eta * 2.0 / b), _w, _w);
        }

        var delta = new float[_d];
        TensorPrimitives.Subtract(_w, before, delta);
        return new LocalRound(delta, done == 0 ? double.NaN : lossSum / done, done);
    }

    /// <summary>Step size of step <paramref name="step"/> (0-based): η / (1 + k / τ), or η when τ = 0
    /// (<see cref="SurrogateOptions.LearningRateDecaySteps"/>).</summary>
    public static double StepSize(double learningRate, double decaySteps, long step) =>
        decaySteps > 0 ? learningRate / (1 + (step / decaySteps)) : learningRate;

    /// <summary>Held-out MSE of the current adapter; <paramref name="documents"/> is ignored (see the class remarks).</summary>
    public Evaluation Evaluate(IReadOnlyList<string> documents) => Evaluate(documents, _w);

    /// <summary>Held-out MSE of <paramref name="adapter"/>; <paramref name="documents"/> is ignored.</summary>
    public Evaluation Evaluate(IReadOnlyList<string> documents, ReadOnlySpan<float> adapter) =>
        new(HeldOutLoss(adapter), double.NaN, _options.TestSamples);

    /// <summary>Held-out MSE of <paramref name="adapter"/> (what the validation gate and the loss curves use).</summary>
    public double HeldOutLoss(ReadOnlySpan<float> adapter)
    {
        CheckLength(adapter);
        double sum = 0;
        for (int row = 0; row < _options.TestSamples; row++)
        {
            float residual = TensorPrimitives.Dot(_testX.AsSpan(row * _d, _d), adapter) - _testY[row];
            sum += (double)residual * residual;
        }

        return sum / _options.TestSamples;
    }

    /// <summary>‖adapter − w_i‖: distance to this node's own (local) optimum.</summary>
    public double DistanceToLocalOptimum(ReadOnlySpan<float> adapter)
    {
        CheckLength(adapter);
        return TensorPrimitives.Distance(adapter, _optimum);
    }

    public void Dispose()
    {
        // Nothing native or pooled is held.
    }

    private (float[] X, float[] Y) Sample(Random random, int count)
    {
        var x = new float[count * _d];
        var y = new float[count];
        SeededSampling.FillNormal(random, x, 1.0);
        for (int row = 0; row < count; row++)
        {
            y[row] = TensorPrimitives.Dot(x.AsSpan(row * _d, _d), _optimum) + (float)(_options.NoiseStd * SeededSampling.StandardNormal(random));
        }

        return (x, y);
    }

    private void CheckLength(ReadOnlySpan<float> values)
    {
        if (values.Length != _d)
        {
            throw new ArgumentException($"the surrogate adapter has {_d} values, got {values.Length}");
        }
    }
}
