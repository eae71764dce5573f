using FedMesh.Protocol.Deltas;

namespace FedMesh.Node.Learning.Internal;

/// <summary>Where LoRA factors sit and how they are named; the one source of the adapter schema order.</summary>
internal static class LoraLayout
{
    public const string ASuffix = ".lora_a";
    public const string BSuffix = ".lora_b";

    /// <summary>Adapted linear maps in schema order: per layer, per <see cref="LinearSite.All"/> order.</summary>
    public static IEnumerable<(string Key, int Out, int In)> Sites(ModelOptions model, LoraOptions lora)
    {
        for (int i = 0; i < model.Layers; i++)
        {
            foreach (LinearSite site in LinearSite.All)
            {
                if ((lora.Targets & site.Target) != 0)
                {
                    (int outDim, int inDim) = site.Shape(model);
                    yield return ($"layers.{i}.{site.Path}", outDim, inDim);
                }
            }
        }
    }

    /// <summary>A [r, in] then B [out, r] for each site; only B with <see cref="LoraOptions.FreezeA"/> (A is not
    /// part of the adapter: it never changes and is derived, not exchanged).</summary>
    public static AdapterSchema Schema(ModelOptions model, LoraOptions lora)
    {
        model.Validate();
        lora.Validate(model);
        var tensors = new List<TensorInfo>();
        foreach ((string key, int outDim, int inDim) in Sites(model, lora))
        {
            if (!lora.FreezeA)
            {
                tensors.Add(new TensorInfo(key + ASuffix, new[] { lora.Rank, inDim }));
            }

            tensors.Add(new TensorInfo(key + BSuffix, new[] { outDim, lora.Rank }));
        }

        return new AdapterSchema(tensors);
    }
}
