using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace FedMesh.Node.Learning.Internal;

/// <summary>
/// The byte-level decoder-only transformer, written functionally over named parameters so that checkpoint
/// names and the adapter schema order are explicit (pre-LN blocks as in GPT-2, Radford et al. 2019 §2.3).
/// Optional LoRA factors are added to the selected linear maps: y = W x + b + (α/r)·B(A(dropout(x))).
/// </summary>
internal sealed partial class ByteTransformer : IAdapterModel
{
    /// <summary>LayerNorm ε of GPT-2 / PyTorch's default.</summary>
    private const double LayerNormEpsilon = 1e-5;

    /// <summary>Standard deviation of the initial weights (GPT-2 §2.3).</summary>
    private const double InitStd = 0.02;

    private readonly ModelOptions _options;
    private readonly List<NamedParameter> _base = new();
    private readonly Dictionary<string, Parameter> _byName = new(StringComparer.Ordinal);
    private readonly List<NamedParameter> _adapters = new();
    private readonly Dictionary<string, (Parameter A, Parameter B)> _lora = new(StringComparer.Ordinal);
    private readonly Tensor? _sinusoid;
    private LoraOptions? _loraOptions;

    /// <summary>Per-example copies of the LoRA factors while <see cref="PerExampleLosses"/> runs, else null.</summary>
    private Dictionary<string, (Tensor A, Tensor B)>? _perExample;

    private ByteTransformer(ModelOptions options)
    {
        options.Validate();
        _options = options;
        if (options.Positions == PositionEncoding.Sinusoidal)
        {
            _sinusoid = SinusoidalTable(options.Context, options.Width);
        }
    }

    public ModelOptions Options => _options;

    public int Context => _options.Context;

    public int VocabSize => ModelOptions.VocabSize;

    public long BaseParameterCount => _base.Sum(p => p.Parameter.numel());

    /// <summary>Base weights in canonical (checkpoint) order.</summary>
    public IReadOnlyList<NamedParameter> BaseParameters => _base;

    /// <summary>LoRA factors in schema order (per layer, per target: A then B).</summary>
    public IReadOnlyList<NamedParameter> AdapterParameters => _adapters;

    /// <summary>The (A, B) factors of every adapted site in schema order, including a frozen A (FFA-LoRA).</summary>
    public IEnumerable<(Parameter A, Parameter B)> LoraFactors => _lora.Values;

    /// <summary>Canonical names and shapes of the base weights for <paramref name="options"/>.</summary>
    public static IReadOnlyList<(string Name, long[] Shape)> BaseLayout(ModelOptions options)
    {
        int d = options.Width;
        var layout = new List<(string, long[])> { ("tok_emb", new long[] { ModelOptions.VocabSize, d }) };
        if (options.Positions == PositionEncoding.Learned)
        {
            layout.Add(("pos_emb", new long[] { options.Context, d }));
        }

        for (int i = 0; i < options.Layers; i++)
        {
            string p = $"layers.{i}.";
            layout.Add((p + "ln1.weight", new long[] { d }));
            layout.Add((p + "ln1.bias", new long[] { d }));
            foreach (LinearSite site in LinearSite.All)
            {
                (int outDim, int inDim) = site.Shape(options);
                layout.Add((p + site.Path + ".weight", new long[] { outDim, inDim }));
                layout.Add((p + site.Path + ".bias", new long[] { outDim }));
                if (site.Path == "attn.o")
                {
                    layout.Add((p + "ln2.weight", new long[] { d }));
                    layout.Add((p + "ln2.bias", new long[] { d }));
                }
            }
        }

        layout.Add(("ln_f.weight", new long[] { d }));
        layout.Add(("ln_f.bias", new long[] { d }));
        layout.Add(("head.weight", new long[] { ModelOptions.VocabSize, d }));
        layout.Add(("head.bias", new long[] { ModelOptions.VocabSize }));
        return layout;
    }

    /// <summary>A freshly initialised model: N(0, 0.02) weights (GPT-2 §2.3), zero biases, unit LayerNorm gains.</summary>
    public static ByteTransformer CreateRandom(ModelOptions options, long seed)
    {
        var model = new ByteTransformer(options);
        using var generator = new Generator(unchecked((ulong)seed));
        foreach ((string name, long[] shape) in BaseLayout(options))
        {
            Tensor init = name.EndsWith(".bias", StringComparison.Ordinal) ? zeros(shape)
                : IsNormGain(name) ? ones(shape)
                : randn(shape, generator: generator).mul_(TorchScalars.Constant(InitStd));
            model.AddBase(name, init);
        }

        return model;
    }

    /// <summary>A model over a validated base checkpoint.</summary>
    public static ByteTransformer FromBase(BaseModel baseModel)
    {
        var model = new ByteTransformer(baseModel.Options);
        foreach (NamedTensor w in baseModel.Weights)
        {
            model.AddBase(w.Name, tensor(w.Data, w.Shape.ToArray()));
        }

        return model;
    }

    /// <summary>The current base weights as a checkpoint.</summary>
    public BaseModel ToBase()
    {
        var weights = new List<NamedTensor>(_base.Count);
        foreach (NamedParameter p in _base)
        {
            weights.Add(new NamedTensor(p.Name, p.Parameter.shape, p.Parameter.detach().data<float>().ToArray()));
        }

        return BaseModel.Create(_options, weights);
    }

    /// <summary>Adds LoRA factors (A ~ U(±1/√in) like PEFT's Kaiming init, B = 0) and freezes the base; with
    /// <see cref="LoraOptions.FreezeA"/> A is frozen too and only B is an adapter parameter.</summary>
    public void AttachLora(LoraOptions lora, long seed)
    {
        lora.Validate(_options);
        if (_loraOptions is not null)
        {
            throw new InvalidOperationException("LoRA adapters are already attached");
        }

        _loraOptions = lora;
        using var generator = new Generator(unchecked((ulong)seed));
        foreach ((string key, int outDim, int inDim) in LoraLayout.Sites(_options, lora))
        {
            double bound = 1.0 / Math.Sqrt(inDim);
            var a = new Parameter(rand(new long[] { lora.Rank, inDim }, generator: generator).mul_(TorchScalars.Constant(2 * bound)).sub_(TorchScalars.Constant(bound)), requires_grad: !lora.FreezeA);
            var b = new Parameter(zeros(outDim, lora.Rank));
            if (!lora.FreezeA)
            {
                _adapters.Add(new NamedParameter(key + LoraLayout.ASuffix, a));
            }

            _adapters.Add(new NamedParameter(key + LoraLayout.BSuffix, b));
            _lora[key] = (a, b);
        }

        SetBaseTrainable(false);
    }

    /// <summary>Turns gradients on the base weights on (pretraining) or off (adapter training).</summary>
    public void SetBaseTrainable(bool trainable)
    {
        foreach (NamedParameter p in _base)
        {
            p.Parameter.requires_grad = trainable;
        }
    }

    /// <summary>Logits [batch, time, 256] for byte indices [batch, time] (time ≤ Context).</summary>
    public Tensor Forward(Tensor indices, bool training)
    {
        long batch = indices.shape[0];
        long time = indices.shape[1];
        int d = _options.Width;
        Tensor x = W("tok_emb").index_select(0, indices.reshape(-1)).reshape(batch, time, d);
        // Every add passes a kept alpha (TorchScalars): `x + y` would pass a temporary 1 that a GC can free mid-call.
        x = x.add(_sinusoid is null ? W("pos_emb").narrow(0, 0, time) : _sinusoid.narrow(0, 0, time), TorchScalars.One);

        int heads = _options.Heads;
        int headDim = d / heads;
        for (int i = 0; i < _options.Layers; i++)
        {
            string p = $"layers.{i}.";
            Tensor h = F.layer_norm(x, new long[] { d }, W(p + "ln1.weight"), W(p + "ln1.bias"), LayerNormEpsilon);
            // One GEMM for q, k and v (weights concatenated on the fly; identical maths, fewer and larger calls).
            Tensor[] qkv = F.linear(h, cat(new[] { W(p + "attn.q.weight"), W(p + "attn.k.weight"), W(p + "attn.v.weight") }, 0),
                cat(new[] { W(p + "attn.q.bias"), W(p + "attn.k.bias"), W(p + "attn.v.bias") }, 0)).chunk(3, -1);
            Tensor q = AddLora(qkv[0], h, p + "attn.q", training).view(batch, time, heads, headDim).transpose(1, 2);
            Tensor k = AddLora(qkv[1], h, p + "attn.k", training).view(batch, time, heads, headDim).transpose(1, 2);
            Tensor v = AddLora(qkv[2], h, p + "attn.v", training).view(batch, time, heads, headDim).transpose(1, 2);
            Tensor attended = F.scaled_dot_product_attention(q, k, v, null, 0.0, true)
                .transpose(1, 2).reshape(batch, time, d);
            x = x.add(Linear(attended, p + "attn.o", training), TorchScalars.One);
            h = F.layer_norm(x, new long[] { d }, W(p + "ln2.weight"), W(p + "ln2.bias"), LayerNormEpsilon);
            x = x.add(Linear(F.gelu(Linear(h, p + "mlp.fc1", training)), p + "mlp.fc2", training), TorchScalars.One);
        }

        x = F.layer_norm(x, new long[] { d }, W("ln_f.weight"), W("ln_f.bias"), LayerNormEpsilon);
        return F.linear(x, W("head.weight"), W("head.bias"));
    }

    /// <summary>Mean cross-entropy (nats per byte) of predicting window[:, 1:] from window[:, :-1].</summary>
    public Tensor Loss(Tensor windows, bool training, bool sum = false)
    {
        long time = windows.shape[1] - 1;
        Tensor input = windows.narrow(1, 0, time);
        Tensor target = windows.narrow(1, 1, time);
        Tensor logits = Forward(input, training);
        return F.cross_entropy(logits.reshape(-1, ModelOptions.VocabSize), target.reshape(-1),
            reduction: sum ? nn.Reduction.Sum : nn.Reduction.Mean);
    }

    public void Dispose()
    {
        foreach (NamedParameter p in _base)
        {
            p.Parameter.Dispose();
        }

        foreach (NamedParameter p in _adapters)
        {
            p.Parameter.Dispose();
        }

        _sinusoid?.Dispose();
    }

    private static bool IsNormGain(string name) =>
        name.StartsWith("ln_", StringComparison.Ordinal) || name.Contains(".ln", StringComparison.Ordinal);

    private Tensor W(string name) => _byName[name];

    private Tensor Linear(Tensor x, string site, bool training) =>
        AddLora(F.linear(x, W(site + ".weight"), W(site + ".bias")), x, site, training);

    /// <summary>y + (α/r)·B(A(dropout(x))) when <paramref name="site"/> carries an adapter, else y.</summary>
    private Tensor AddLora(Tensor y, Tensor x, string site, bool training)
    {
        if (_loraOptions is { } lora && _lora.TryGetValue(site, out (Parameter A, Parameter B) ab))
        {
            Tensor input = lora.Dropout > 0 && training ? F.dropout(x, lora.Dropout, true) : x;
            if (_perExample is not null)
            {
                // Per-example factors [b, r, in] and [b, out, r]: batched matmuls, example i uses only its own copy.
                return PerExampleLora.Add(y, input, _perExample[site], TorchScalars.Constant(lora.Scale));
            }

            return y.add(F.linear(F.linear(input, ab.A), ab.B), TorchScalars.Constant(lora.Scale)); // add with alpha: one op, not mul + add
        }

        return y;
    }

    private void AddBase(string name, Tensor value)
    {
        var parameter = new Parameter(value, requires_grad: false);
        _base.Add(new NamedParameter(name, parameter));
        _byName[name] = parameter;
    }

    /// <summary>PE(pos, 2i) = sin(pos / 10000^(2i/d)), PE(pos, 2i+1) = cos(…) (Vaswani et al. 2017, §3.5).</summary>
    private static Tensor SinusoidalTable(int context, int width)
    {
        var table = new float[context * width];
        for (int pos = 0; pos < context; pos++)
        {
            for (int i = 0; i < width; i += 2)
            {
                double angle = pos / Math.Pow(10000.0, (double)i / width);
                table[(pos * width) + i] = (float)Math.Sin(angle);
                if (i + 1 < width)
                {
                    table[(pos * width) + i + 1] = (float)Math.Cos(angle);
                }
            }
        }

        return tensor(table, new long[] { context, width });
    }
}

/// <summary>A parameter with its canonical name.</summary>
internal sealed record NamedParameter(string Name, Parameter Parameter);
