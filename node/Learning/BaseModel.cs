using System.Globalization;
using System.Security.Cryptography;
using FedMesh.Node.Learning.Internal;
using FedMesh.Protocol.IO;

namespace FedMesh.Node.Learning;

/// <summary>
/// A frozen base checkpoint: model shape, weights in canonical order, and the SHA-256 of its canonical
/// safetensors bytes (the base-model hash peers compare before exchanging deltas).
/// </summary>
public sealed class BaseModel
{
    private const string FormatKey = "fedmesh.format";
    private const string FormatValue = "base-v1";

    private BaseModel(ModelOptions options, IReadOnlyList<NamedTensor> weights, byte[] canonical)
    {
        Options = options;
        Weights = weights;
        Canonical = canonical;
        Hash = SHA256.HashData(canonical);
    }

    public ModelOptions Options { get; }

    public IReadOnlyList<NamedTensor> Weights { get; }

    /// <summary>SHA-256 of <see cref="Save"/>'s bytes (32 bytes).</summary>
    public byte[] Hash { get; }

    public string HashHex => Convert.ToHexStringLower(Hash);

    public long ParameterCount => Weights.Sum(w => w.Data.LongLength);

    private byte[] Canonical { get; }

    /// <summary>Builds from weights; checks every tensor of the layout is present with the right shape.</summary>
    public static BaseModel Create(ModelOptions options, IReadOnlyList<NamedTensor> weights)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(weights);
        options.Validate();
        var byName = weights.ToDictionary(w => w.Name, StringComparer.Ordinal);
        var ordered = new List<NamedTensor>();
        foreach ((string name, long[] shape) in ByteTransformer.BaseLayout(options))
        {
            if (!byName.TryGetValue(name, out NamedTensor? w))
            {
                throw new InvalidDataException($"base checkpoint lacks tensor '{name}'");
            }

            if (!w.Shape.SequenceEqual(shape))
            {
                throw new InvalidDataException($"base tensor '{name}' has shape [{string.Join(',', w.Shape)}], expected [{string.Join(',', shape)}]");
            }

            ordered.Add(w);
        }

        if (byName.Count != ordered.Count)
        {
            string extra = byName.Keys.Except(ordered.Select(o => o.Name)).First();
            throw new InvalidDataException($"base checkpoint has unexpected tensor '{extra}'");
        }

        return new BaseModel(options, ordered, Safetensors.Write(ordered, Describe(options)));
    }

    /// <summary>Loads and validates a checkpoint written by <see cref="Save"/> (model shape from its metadata).</summary>
    public static BaseModel Load(string path)
    {
        SafetensorsContent content = Safetensors.ReadFile(path);
        try
        {
            return Create(ParseOptions(content.Metadata), content.Tensors);
        }
        catch (Exception e) when (e is InvalidDataException or ArgumentException)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    /// <summary>Writes the canonical bytes atomically and a sibling "&lt;path&gt;.sha256" with the hex hash.</summary>
    public void Save(string path)
    {
        AtomicFile.Write(path, Canonical);
        AtomicFile.Write(path + ".sha256", System.Text.Encoding.ASCII.GetBytes(HashHex + "\n"));
    }

    private static Dictionary<string, string> Describe(ModelOptions o) => new(StringComparer.Ordinal)
    {
        [FormatKey] = FormatValue,
        ["layers"] = o.Layers.ToString(CultureInfo.InvariantCulture),
        ["width"] = o.Width.ToString(CultureInfo.InvariantCulture),
        ["heads"] = o.Heads.ToString(CultureInfo.InvariantCulture),
        ["context"] = o.Context.ToString(CultureInfo.InvariantCulture),
        ["mlp_ratio"] = o.MlpRatio.ToString(CultureInfo.InvariantCulture),
        ["positions"] = o.Positions.ToString().ToLowerInvariant(),
    };

    private static ModelOptions ParseOptions(IReadOnlyDictionary<string, string> meta)
    {
        if (!meta.TryGetValue(FormatKey, out string? format) || format != FormatValue)
        {
            throw new InvalidDataException($"not a FedMesh base checkpoint (metadata {FormatKey} is not '{FormatValue}')");
        }

        var options = new ModelOptions
        {
            Layers = Int(meta, "layers"),
            Width = Int(meta, "width"),
            Heads = Int(meta, "heads"),
            Context = Int(meta, "context"),
            MlpRatio = Int(meta, "mlp_ratio"),
            Positions = meta.TryGetValue("positions", out string? p) && Enum.TryParse(p, ignoreCase: true, out PositionEncoding pe)
                ? pe : throw new InvalidDataException("metadata 'positions' is missing or unknown"),
        };
        options.Validate();
        return options;
    }

    private static int Int(IReadOnlyDictionary<string, string> meta, string key) =>
        meta.TryGetValue(key, out string? s) && int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int v)
            ? v : throw new InvalidDataException($"metadata '{key}' is missing or not a non-negative integer");
}
