using FedMesh.Node.Learning.Internal;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace FedMesh.Node.Learning.HuggingFace.Internal;

/// <summary>
/// GPT-2 and the Llama layout computed functionally over a shared, frozen <see cref="HfBase"/> (its weights are
/// referenced, never copied or freed here), with LoRA factors on the linear maps PEFT would target:
/// y = W x + b + (α/r)·B(A(dropout(x))) (Hu et al. 2021, §4.1). Matches transformers' GPT2LMHeadModel and
/// LlamaForCausalLM forward passes in float32 (checked against an independent PyTorch implementation in the tests).
/// </summary>
internal sealed class HfTransformer : IAdapterModel
{
    private readonly HfModelConfig _c;
    private readonly IReadOnlyDictionary<string, Tensor> _w;
    private readonly List<NamedParameter> _adapters = [];
    private readonly Dictionary<string, (Parameter A, Parameter B)> _lora = new(StringComparer.Ordinal);
    private readonly Scalar _scale; // kept alive by TorchScalars: libtorch reads it as add's alpha
    private readonly float _dropout;
    private readonly Tensor? _cos;
    private readonly Tensor? _sin;

    /// <summary>Per-example copies of the LoRA factors while <see cref="PerExampleLosses"/> runs, else null.</summary>
    private Dictionary<string, (Tensor A, Tensor B)>? _perExample;

    /// <param name="context">Tokens per window (≤ the model's positions).</param>
    /// <param name="sites">The adapted linear maps (schema order).</param>
    public HfTransformer(HfBase baseModel, int context, IReadOnlyList<HfLinear> sites, LoraOptions lora, long seed)
    {
        _c = baseModel.Config;
        _w = baseModel.Weights;
        Context = context;
        _scale = TorchScalars.Constant(lora.Scale);
        _dropout = lora.Dropout;
        if (_c.Architecture == HfArchitecture.Llama)
        {
            (_cos, _sin) = Rotary(context, _c.HeadDim, _c.RopeTheta);
        }

        using var generator = new Generator(unchecked((ulong)seed));
        foreach (HfLinear site in sites)
        {
            // A ~ U(±1/√in) as PEFT's Kaiming-uniform init (a = √5) gives, B = 0: the adapter starts as a no-op.
            double bound = 1.0 / Math.Sqrt(site.In);
            var a = new Parameter(rand(new long[] { lora.Rank, site.In }, generator: generator).mul_(TorchScalars.Constant(2 * bound)).sub_(TorchScalars.Constant(bound)));
            var b = new Parameter(zeros(site.Out, lora.Rank));
            _adapters.Add(new NamedParameter(site.Path + HfAdapterNames.ASuffix, a));
            _adapters.Add(new NamedParameter(site.Path + HfAdapterNames.BSuffix, b));
            _lora[site.Path] = (a, b);
        }

        BaseParameterCount = _w.Values.Sum(t => t.numel());
    }

    public int Context { get; }

    public int VocabSize => _c.VocabSize;

    public IReadOnlyList<NamedParameter> AdapterParameters => _adapters;

    public long BaseParameterCount { get; }

    public Tensor Forward(Tensor indices, bool training)
    {
        using Tensor hidden = Hidden(indices, training);
        return F.linear(hidden, Head);
    }

    /// <summary>The output head: GPT-2's is tied to wte; the Llama layout's is lm_head unless tied to the embedding.</summary>
    private Tensor Head => _c.Architecture == HfArchitecture.Gpt2 ? W("transformer.wte.weight")
        : _c.TieEmbeddings ? W("model.embed_tokens.weight") : W("lm_head.weight");

    /// <summary>The final normalised hidden states [batch, time, width], the head's input.</summary>
    private Tensor Hidden(Tensor indices, bool training) =>
        _c.Architecture == HfArchitecture.Gpt2 ? Gpt2(indices, training) : Llama(indices, training);

    public Tensor Loss(Tensor windows, bool training, bool sum = false)
    {
        long time = windows.shape[1] - 1;
        using Tensor hidden = Hidden(windows.narrow(1, 0, time), training);
        using Tensor flat = hidden.reshape(-1, _c.Hidden);
        return ChunkedCrossEntropy.Loss(flat, Head, windows.narrow(1, 1, time).reshape(-1), sum);
    }

    public (Tensor Losses, Tensor[] Leaves) PerExampleLosses(Tensor input, Tensor target)
    {
        long b = input.shape[0];
        (Dictionary<string, (Tensor A, Tensor B)> copies, Tensor[] leaves) = PerExampleLora.Expand(_lora, _adapters, b, HfAdapterNames.ASuffix, HfAdapterNames.BSuffix);
        _perExample = copies;
        try
        {
            Tensor logits = Forward(input, training: true);
            return (PerExampleLora.MeanLosses(logits, target, _c.VocabSize), leaves);
        }
        finally
        {
            _perExample = null;
        }
    }

    public void Dispose()
    {
        foreach (NamedParameter p in _adapters)
        {
            p.Parameter.Dispose();
        }

        _cos?.Dispose();
        _sin?.Dispose();
    }

    /// <summary>GPT2LMHeadModel up to its head: learned positions, pre-LN blocks, fused q/k/v Conv1D, tanh-GELU MLP, ln_f.</summary>
    private Tensor Gpt2(Tensor ids, bool training)
    {
        long batch = ids.shape[0], time = ids.shape[1];
        int d = _c.Hidden, heads = _c.Heads, hd = _c.HeadDim;
        Tensor wte = W("transformer.wte.weight");
        // Residual adds pass a kept alpha (TorchScalars): `x + y` would pass a temporary 1 a GC can free mid-call.
        Tensor x = wte.index_select(0, ids.reshape(-1)).reshape(batch, time, d).add(W("transformer.wpe.weight").narrow(0, 0, time), TorchScalars.One);
        for (int i = 0; i < _c.Layers; i++)
        {
            string p = $"transformer.h.{i}.";
            x = Block(x, x =>
            {
                Tensor h = LayerNorm(x, p + "ln_1");
                Tensor[] qkv = Conv1D(h, p + "attn.c_attn", training).split(d, -1);
                Tensor q = qkv[0].view(batch, time, heads, hd).transpose(1, 2);
                Tensor k = qkv[1].view(batch, time, heads, hd).transpose(1, 2);
                Tensor v = qkv[2].view(batch, time, heads, hd).transpose(1, 2);
                Tensor a = F.scaled_dot_product_attention(q, k, v, null, 0.0, true).transpose(1, 2).reshape(batch, time, d);
                x = x.add(Conv1D(a, p + "attn.c_proj", training), TorchScalars.One);
                h = LayerNorm(x, p + "ln_2");
                return x.add(Conv1D(F.gelu(Conv1D(h, p + "mlp.c_fc", training), GELU.Approximate.tanh), p + "mlp.c_proj", training), TorchScalars.One);
            });
        }

        return LayerNorm(x, "transformer.ln_f");
    }

    /// <summary>LlamaForCausalLM (and Qwen2/Mistral) up to its head: RMSNorm, rotary q/k, grouped-query attention, SwiGLU MLP, final norm.</summary>
    private Tensor Llama(Tensor ids, bool training)
    {
        long batch = ids.shape[0], time = ids.shape[1];
        int d = _c.Hidden, heads = _c.Heads, kvHeads = _c.KvHeads, hd = _c.HeadDim;
        Tensor embed = W("model.embed_tokens.weight");
        Tensor x = embed.index_select(0, ids.reshape(-1)).reshape(batch, time, d);
        Tensor cos = _cos!.narrow(0, 0, time);
        Tensor sin = _sin!.narrow(0, 0, time);
        for (int i = 0; i < _c.Layers; i++)
        {
            string p = $"model.layers.{i}.";
            x = Block(x, x =>
            {
                Tensor h = RmsNorm(x, p + "input_layernorm.weight");
                Tensor q = Rope(Linear(h, p + "self_attn.q_proj", training).view(batch, time, heads, hd).transpose(1, 2), cos, sin);
                Tensor k = Rope(Linear(h, p + "self_attn.k_proj", training).view(batch, time, kvHeads, hd).transpose(1, 2), cos, sin);
                Tensor v = Linear(h, p + "self_attn.v_proj", training).view(batch, time, kvHeads, hd).transpose(1, 2);
                if (kvHeads != heads)
                {
                    // Query head j reads key/value head j / (heads / kvHeads), as transformers' repeat_kv.
                    k = k.repeat_interleave(heads / kvHeads, 1);
                    v = v.repeat_interleave(heads / kvHeads, 1);
                }

                Tensor a = F.scaled_dot_product_attention(q, k, v, null, 0.0, true).transpose(1, 2).reshape(batch, time, heads * hd);
                x = x.add(Linear(a, p + "self_attn.o_proj", training), TorchScalars.One);
                h = RmsNorm(x, p + "post_attention_layernorm.weight");
                Tensor gated = F.silu(Linear(h, p + "mlp.gate_proj", training)) * Linear(h, p + "mlp.up_proj", training);
                return x.add(Linear(gated, p + "mlp.down_proj", training), TorchScalars.One);
            });
        }

        return RmsNorm(x, "model.norm.weight");
    }

    /// <summary>
    /// One transformer block in its own dispose scope. TorchSharp keeps every tensor a scope creates until the scope
    /// ends, so under the step's single scope all of a forward pass's temporaries (norm intermediates, rotary halves,
    /// reshaped copies, MLP products: ≈ 2× what autograd saves) would stay resident until the step ends. Disposing a
    /// handle only drops this reference: what backward needs, autograd holds itself. The block's input (the previous
    /// residual stream) is released too; the caller's embedding output is the first one.
    /// </summary>
    private static Tensor Block(Tensor x, Func<Tensor, Tensor> block)
    {
        Tensor next;
        using (DisposeScope scope = NewDisposeScope())
        {
            next = block(x).MoveToOuterDisposeScope();
        }

        x.Dispose();
        return next;
    }

    private Tensor W(string name) => _w[name];

    private Tensor? Bias(string name) => _w.TryGetValue(name, out Tensor? b) ? b : null;

    private Tensor LayerNorm(Tensor x, string prefix) =>
        F.layer_norm(x, new long[] { _c.Hidden }, W(prefix + ".weight"), W(prefix + ".bias"), _c.NormEpsilon);

    /// <summary>x · rsqrt(mean(x²) + ε) · g (Zhang &amp; Sennrich 2019), as LlamaRMSNorm computes it in float32.</summary>
    private Tensor RmsNorm(Tensor x, string weight) =>
        x.mul(x.pow(TorchScalars.Constant(2L)).mean(new long[] { -1 }, keepdim: true)
            .add(TorchScalars.Constant(_c.NormEpsilon), TorchScalars.One).rsqrt()).mul(W(weight));

    /// <summary>GPT-2's Conv1D: weight stored [in, out], so y = x·W + b (W.t() is a view: no copy).</summary>
    private Tensor Conv1D(Tensor x, string site, bool training) =>
        AddLora(F.linear(x, W(site + ".weight").t(), W(site + ".bias")), x, site, training);

    private Tensor Linear(Tensor x, string site, bool training) =>
        AddLora(F.linear(x, W(site + ".weight"), Bias(site + ".bias")), x, site, training);

    private Tensor AddLora(Tensor y, Tensor x, string site, bool training)
    {
        if (!_lora.TryGetValue(site, out (Parameter A, Parameter B) ab))
        {
            return y;
        }

        Tensor input = _dropout > 0 && training ? F.dropout(x, _dropout, true) : x;
        return _perExample is not null
            ? PerExampleLora.Add(y, input, _perExample[site], _scale)
            : y.add(F.linear(F.linear(input, ab.A), ab.B), _scale);
    }

    /// <summary>q·cos + rotate_half(q)·sin with rotate_half(x) = [−x₂, x₁] (transformers' apply_rotary_pos_emb).</summary>
    private static Tensor Rope(Tensor x, Tensor cos, Tensor sin)
    {
        long half = x.shape[^1] / 2;
        Tensor rotated = cat(new[] { x.narrow(-1, half, half).neg(), x.narrow(-1, 0, half) }, -1);
        return x.mul(cos).add(rotated.mul(sin), TorchScalars.One);
    }

    /// <summary>cos/sin [context, headDim] of θ^(−2i/d) · position, the halves duplicated (LlamaRotaryEmbedding, float32).</summary>
    private static (Tensor Cos, Tensor Sin) Rotary(int context, int headDim, double theta)
    {
        using DisposeScope scope = NewDisposeScope();
        // θ^(−2i/d) in double, rounded once to float32: within an ulp of the float32 power transformers computes.
        float[] inverse = new float[headDim / 2];
        for (int i = 0; i < inverse.Length; i++)
        {
            inverse[i] = (float)(1.0 / Math.Pow(theta, 2.0 * i / headDim));
        }

        // Positions 0 … context − 1 from managed code: arange(Scalar) makes temporary Scalars inside TorchSharp.
        float[] positions = new float[context];
        for (int i = 0; i < context; i++)
        {
            positions[i] = i;
        }

        Tensor freqs = outer(tensor(positions), tensor(inverse));
        Tensor emb = cat(new[] { freqs, freqs }, -1);
        return (emb.cos().MoveToOuterDisposeScope(), emb.sin().MoveToOuterDisposeScope());
    }
}
