namespace FedMesh.Node.Learning.Surrogate;

/// <summary>How node data is spread around the global optimum.</summary>
public enum SurrogateSplit
{
    /// <summary>Every node samples the same task: all local optima equal the global one.</summary>
    Iid,

    /// <summary>
    /// Non-IID: <see cref="SurrogateOptions.Components"/> sub-tasks with their own optima; each node mixes them with
    /// proportions drawn from Dirichlet(α) (Hsu, Qi, Brown 2019, "Measuring the effects of non-identical data
    /// distribution", the usual federated non-IID benchmark split).
    /// </summary>
    Dirichlet,
}

/// <summary>
/// The surrogate task: linear regression y = x·w_i + noise with x ~ N(0, I_d), whose optimum is known in closed
/// form, so a simulation can report distance to the optimum exactly and run thousands of nodes cheaply.
/// </summary>
public sealed record SurrogateOptions
{
    /// <summary>Defaults; each value's reason is on its property.</summary>
    public static readonly SurrogateOptions Default = new();

    /// <summary>Adapter length d. 32: a non-trivial problem (condition of the sample covariance near 1 for the
    /// default sample counts) at a per-round cost of ~10 µs, so 1,000-node simulations stay cheap.</summary>
    public int Dimension { get; init; } = 32;

    /// <summary>Training samples per node. 256 = 8·d: local least squares is well posed, yet local SGD noise is
    /// visible, as with a real node's small private corpus.</summary>
    public int TrainSamples { get; init; } = 256;

    /// <summary>Held-out samples per node (the validation gate's and the loss curves' split). 128 = 4·d keeps the
    /// held-out MSE's relative standard error near √(2/128) ≈ 0.13 of the noise floor.</summary>
    public int TestSamples { get; init; } = 128;

    /// <summary>Minibatch size of one SGD step. 16, like the real learner's batch of 16 sequences.</summary>
    public int BatchSize { get; init; } = 16;

    /// <summary>SGD step size η. For x ~ N(0, I) the loss Hessian is 2·I, so plain GD is stable for η &lt; 1;
    /// 0.05 contracts the error by ~10% per step with minibatch noise well below the signal.</summary>
    public double LearningRate { get; init; } = 0.05;

    /// <summary>Step-size decay: step k of this node's SGD uses η / (1 + k / τ) with τ = this many steps; 0 (the
    /// default) keeps η constant. Decentralised SGD with a fixed step converges only to a neighbourhood of the optimum
    /// whose radius grows with the gossip graph's 1/(1 − λ₂) (Lian et al. 2017; Koloskova et al. 2020); with a
    /// decaying step the consensus error vanishes faster than the optimisation error, so sparse gossip approaches what
    /// averaging every node each round (flood) reaches (Pu, Olshevsky &amp; Paschalidis 2020, "transient time").</summary>
    public double LearningRateDecaySteps { get; init; }

    /// <summary>Label noise standard deviation: the held-out MSE floor is its square (0.01).</summary>
    public double NoiseStd { get; init; } = 0.1;

    /// <summary>IID by default: the simplest setting in which every effect of the mesh is attributable.</summary>
    public SurrogateSplit Split { get; init; } = SurrogateSplit.Iid;

    /// <summary>Dirichlet concentration α. 0.5 is the common "moderately non-IID" setting (Hsu et al. 2019);
    /// α → ∞ approaches IID, α → 0 gives each node a single sub-task.</summary>
    public double DirichletAlpha { get; init; } = 0.5;

    /// <summary>Sub-tasks mixed by the Dirichlet split: 10, as the 10 classes of the CIFAR-10 splits it mimics.</summary>
    public int Components { get; init; } = 10;

    /// <summary>Norm of each sub-task's offset from the shared part of the optimum, relative to that part's norm.
    /// 0.5: local optima differ enough that local-only training is clearly worse than federation.</summary>
    public double Heterogeneity { get; init; } = 0.5;

    /// <summary>Seed of the task (optimum, sub-tasks, every node's data).</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>First problem found, phrased after the key, or null.</summary>
    public string? Problem()
    {
        if (Dimension is < 1 or > 1 << 20)
        {
            return $"learner.dimension must be between 1 and {1 << 20}, got {Dimension}";
        }

        if (TrainSamples < 1 || TestSamples < 1 || (long)Math.Max(TrainSamples, TestSamples) * Dimension > 1L << 26)
        {
            return "learner.train_samples and learner.test_samples must be ≥ 1 with samples × dimension ≤ 2^26 floats per split";
        }

        if (BatchSize < 1 || BatchSize > TrainSamples)
        {
            return $"learner.batch_size must be between 1 and train_samples ({TrainSamples}), got {BatchSize}";
        }

        if (!(LearningRate > 0) || !(LearningRate < 1))
        {
            return $"learner.learning_rate must be in (0, 1) (stable SGD on this task), got {LearningRate}";
        }

        if (!(LearningRateDecaySteps >= 0) || !double.IsFinite(LearningRateDecaySteps))
        {
            return $"learner.learning_rate_decay_steps must be finite and ≥ 0 (0 = constant step), got {LearningRateDecaySteps}";
        }

        if (!(NoiseStd >= 0) || !double.IsFinite(NoiseStd))
        {
            return $"learner.noise must be finite and ≥ 0, got {NoiseStd}";
        }

        if (!(DirichletAlpha > 0) || !double.IsFinite(DirichletAlpha))
        {
            return $"data.alpha must be finite and > 0, got {DirichletAlpha}";
        }

        if (Components is < 1 or > 1024)
        {
            return $"data.components must be between 1 and 1024, got {Components}";
        }

        return !(Heterogeneity >= 0) || !double.IsFinite(Heterogeneity)
            ? $"data.heterogeneity must be finite and ≥ 0, got {Heterogeneity}"
            : null;
    }
}
