namespace FedMesh.Node.Learning;

/// <summary>Sampling settings of <c>fedmesh generate</c> (<see cref="TorchLearner.Generate"/>).</summary>
public sealed record GenerationOptions
{
    public static readonly GenerationOptions Default = new();

    /// <summary>64 new tokens: a few sentences, seconds on a CPU even for a 124 M-parameter base.</summary>
    public int MaxTokens { get; init; } = 64;

    /// <summary>0.8: the common setting between greedy repetition (0) and incoherence (≥ 1.2). 0 = greedy.</summary>
    public double Temperature { get; init; } = 0.8;

    /// <summary>Nucleus sampling p = 0.95 (Holtzman et al. 2020, §3.1): drops the unreliable tail.</summary>
    public double TopP { get; init; } = 0.95;

    /// <summary>Seed of the sampler: equal seeds give equal text.</summary>
    public int Seed { get; init; } = 1;

    public void Validate()
    {
        ModelOptions.Require(MaxTokens is >= 1 and <= 4096, nameof(MaxTokens), "must be 1..4096");
        ModelOptions.Require(double.IsFinite(Temperature) && Temperature is >= 0 and <= 10, nameof(Temperature), "must be 0..10");
        ModelOptions.Require(TopP is > 0 and <= 1, nameof(TopP), "must be in (0, 1]");
    }
}
