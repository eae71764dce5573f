namespace FedMesh.Node.Learning.Internal;

/// <summary>One linear map of a transformer block, its checkpoint path and its LoRA target flag.</summary>
internal sealed record LinearSite(string Path, LoraTargets Target, bool MlpInput, bool MlpOutput)
{
    /// <summary>Canonical order inside a block (also the adapter schema order).</summary>
    public static readonly IReadOnlyList<LinearSite> All = new[]
    {
        new LinearSite("attn.q", LoraTargets.Query, false, false),
        new LinearSite("attn.k", LoraTargets.Key, false, false),
        new LinearSite("attn.v", LoraTargets.Value, false, false),
        new LinearSite("attn.o", LoraTargets.Output, false, false),
        new LinearSite("mlp.fc1", LoraTargets.MlpUp, false, true),
        new LinearSite("mlp.fc2", LoraTargets.MlpDown, true, false),
    };

    /// <summary>(out, in) of the weight matrix.</summary>
    public (int Out, int In) Shape(ModelOptions options) =>
        (MlpOutput ? options.MlpWidth : options.Width, MlpInput ? options.MlpWidth : options.Width);
}
