using FedMesh.Node.Learning.Internal;
using FedMesh.Protocol.Deltas;

namespace FedMesh.Node.Learning;

/// <summary>The canonical adapter schema of a model shape and LoRA setting (no model needs to be built).</summary>
public static class AdapterSchemas
{
    /// <summary>Per layer, per site in q, k, v, o, fc1, fc2 order (selected ones): "layers.i.attn.q.lora_a" [r, in]
    /// then "….lora_b" [out, r]. α and dropout do not enter: they do not change what is exchanged.</summary>
    public static AdapterSchema Create(ModelOptions model, LoraOptions lora)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(lora);
        return LoraLayout.Schema(model, lora);
    }
}
