namespace FedMesh.Node.Privacy;

/// <summary>Adds independent N(0, std²) noise to every coordinate. Implementations are not thread-safe.</summary>
public interface IGaussianNoiseSource
{
    /// <summary>target[i] += std · Z_i with Z_i ~ N(0, 1) i.i.d.</summary>
    void AddNoise(Span<float> target, double standardDeviation);
}
