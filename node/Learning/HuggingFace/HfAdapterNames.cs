namespace FedMesh.Node.Learning.HuggingFace;

/// <summary>
/// Adapter tensor names over a Hugging Face base: "&lt;module path&gt;.lora_A.weight" [r, in] and "….lora_B.weight"
/// [out, r], exactly PEFT's names without its "base_model.model." prefix, so export is a rename-free prefixing.
/// </summary>
public static class HfAdapterNames
{
    public const string ASuffix = ".lora_A.weight";
    public const string BSuffix = ".lora_B.weight";

    /// <summary>The prefix PEFT's LoraModel puts before the base model's module paths.</summary>
    public const string PeftPrefix = "base_model.model.";
}
