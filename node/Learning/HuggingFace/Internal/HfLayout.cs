namespace FedMesh.Node.Learning.HuggingFace.Internal;

/// <summary>One linear map that can carry a LoRA adapter: its module path (as PEFT names it) and its shape.</summary>
/// <param name="Path">Module path inside the *ForCausalLM model, e.g. "model.layers.0.self_attn.q_proj".</param>
/// <param name="Module">Last path component, what PEFT's target_modules match ("q_proj", "c_attn").</param>
/// <param name="Out">Output features.</param>
/// <param name="In">Input features.</param>
internal sealed record HfLinear(string Path, string Module, int Out, int In);

/// <summary>
/// The tensors a checkpoint must hold for a config (names as transformers saves GPT2LMHeadModel and
/// LlamaForCausalLM/Qwen2ForCausalLM/MistralForCausalLM), and the adaptable linear maps in canonical order.
/// </summary>
internal static class HfLayout
{
    /// <summary>Module names PEFT would target, per architecture, in canonical (schema) order inside a block.</summary>
    public static IReadOnlyList<string> Modules(HfArchitecture architecture) => architecture == HfArchitecture.Gpt2
        ? ["c_attn", "c_proj", "c_fc"]
        : ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];

    /// <summary>Required tensors: canonical name → shape. GPT-2 names carry the "transformer." prefix.</summary>
    public static IReadOnlyList<(string Name, long[] Shape)> Tensors(HfModelConfig c)
    {
        var list = new List<(string, long[])>();
        long d = c.Hidden;
        if (c.Architecture == HfArchitecture.Gpt2)
        {
            list.Add(("transformer.wte.weight", [c.VocabSize, d]));
            list.Add(("transformer.wpe.weight", [c.MaxPositions, d]));
            for (int i = 0; i < c.Layers; i++)
            {
                string p = $"transformer.h.{i}.";
                list.Add((p + "ln_1.weight", [d]));
                list.Add((p + "ln_1.bias", [d]));
                // GPT-2's Conv1D stores weights as [in, out].
                list.Add((p + "attn.c_attn.weight", [d, 3 * d]));
                list.Add((p + "attn.c_attn.bias", [3 * d]));
                list.Add((p + "attn.c_proj.weight", [d, d]));
                list.Add((p + "attn.c_proj.bias", [d]));
                list.Add((p + "ln_2.weight", [d]));
                list.Add((p + "ln_2.bias", [d]));
                list.Add((p + "mlp.c_fc.weight", [d, c.Intermediate]));
                list.Add((p + "mlp.c_fc.bias", [c.Intermediate]));
                list.Add((p + "mlp.c_proj.weight", [c.Intermediate, d]));
                list.Add((p + "mlp.c_proj.bias", [d]));
            }

            list.Add(("transformer.ln_f.weight", [d]));
            list.Add(("transformer.ln_f.bias", [d]));
            return list;
        }

        long q = (long)c.Heads * c.HeadDim;
        long kv = (long)c.KvHeads * c.HeadDim;
        list.Add(("model.embed_tokens.weight", [c.VocabSize, d]));
        for (int i = 0; i < c.Layers; i++)
        {
            string p = $"model.layers.{i}.";
            list.Add((p + "input_layernorm.weight", [d]));
            list.Add((p + "self_attn.q_proj.weight", [q, d]));
            list.Add((p + "self_attn.k_proj.weight", [kv, d]));
            list.Add((p + "self_attn.v_proj.weight", [kv, d]));
            if (c.QkvBias)
            {
                list.Add((p + "self_attn.q_proj.bias", [q]));
                list.Add((p + "self_attn.k_proj.bias", [kv]));
                list.Add((p + "self_attn.v_proj.bias", [kv]));
            }

            list.Add((p + "self_attn.o_proj.weight", [d, q]));
            if (c.OutputBias)
            {
                list.Add((p + "self_attn.o_proj.bias", [d]));
            }

            list.Add((p + "post_attention_layernorm.weight", [d]));
            list.Add((p + "mlp.gate_proj.weight", [c.Intermediate, d]));
            list.Add((p + "mlp.up_proj.weight", [c.Intermediate, d]));
            list.Add((p + "mlp.down_proj.weight", [d, c.Intermediate]));
        }

        list.Add(("model.norm.weight", [d]));
        if (!c.TieEmbeddings)
        {
            list.Add(("lm_head.weight", [c.VocabSize, d]));
        }

        return list;
    }

    /// <summary>
    /// The checkpoint name of a canonical tensor: GPT-2 checkpoints saved from GPT2Model (the original "gpt2"
    /// upload) omit the "transformer." prefix that GPT2LMHeadModel saves; both are accepted.
    /// </summary>
    public static string? Find(string canonical, Func<string, bool> present)
    {
        if (present(canonical))
        {
            return canonical;
        }

        const string Prefix = "transformer.";
        return canonical.StartsWith(Prefix, StringComparison.Ordinal) && present(canonical[Prefix.Length..])
            ? canonical[Prefix.Length..]
            : null;
    }

    /// <summary>Every adaptable linear map in schema order: per layer, per <see cref="Modules"/> order.</summary>
    public static IReadOnlyList<HfLinear> Linears(HfModelConfig c)
    {
        var list = new List<HfLinear>();
        int d = c.Hidden;
        int q = c.Heads * c.HeadDim;
        int kv = c.KvHeads * c.HeadDim;
        for (int i = 0; i < c.Layers; i++)
        {
            if (c.Architecture == HfArchitecture.Gpt2)
            {
                string p = $"transformer.h.{i}.";
                list.Add(new HfLinear(p + "attn.c_attn", "c_attn", 3 * d, d));
                list.Add(new HfLinear(p + "attn.c_proj", "c_proj", d, d));
                list.Add(new HfLinear(p + "mlp.c_fc", "c_fc", c.Intermediate, d));
                list.Add(new HfLinear(p + "mlp.c_proj", "c_proj", d, c.Intermediate));
            }
            else
            {
                string p = $"model.layers.{i}.";
                list.Add(new HfLinear(p + "self_attn.q_proj", "q_proj", q, d));
                list.Add(new HfLinear(p + "self_attn.k_proj", "k_proj", kv, d));
                list.Add(new HfLinear(p + "self_attn.v_proj", "v_proj", kv, d));
                list.Add(new HfLinear(p + "self_attn.o_proj", "o_proj", d, q));
                list.Add(new HfLinear(p + "mlp.gate_proj", "gate_proj", c.Intermediate, d));
                list.Add(new HfLinear(p + "mlp.up_proj", "up_proj", c.Intermediate, d));
                list.Add(new HfLinear(p + "mlp.down_proj", "down_proj", d, c.Intermediate));
            }
        }

        return list;
    }
}
