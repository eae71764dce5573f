using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FedMesh.Node.Learning;

/// <summary>Flat adapter access in schema order.</summary>
public sealed partial class TorchLearner
{
    public float[] GetAdapter()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var flat = new float[Schema.TotalElements];
        int at = 0;
        foreach (Parameter p in _adapterParameters)
        {
            ReadOnlySpan<float> values = MemoryMarshal.Cast<byte, float>(p.bytes);
            values.CopyTo(flat.AsSpan(at));
            at += values.Length;
        }

        return flat;
    }

    public void SetAdapter(ReadOnlySpan<float> adapter)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        RequireLength(adapter.Length, "adapter");
        using DisposeScope scope = NewDisposeScope();
        using IDisposable noGrad = no_grad();
        int at = 0;
        foreach (Parameter p in _adapterParameters)
        {
            int n = (int)p.numel();
            p.copy_(tensor(adapter.Slice(at, n).ToArray(), p.shape));
            at += n;
        }
    }

    public void ApplyDelta(ReadOnlySpan<float> delta)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        RequireLength(delta.Length, "delta");
        float[] current = GetAdapter();
        TensorPrimitives.Add(current, delta, current);
        SetAdapter(current);
    }

    /// <summary>The current adapter tensors by schema name (copies).</summary>
    public IReadOnlyDictionary<string, float[]> GetNamedAdapter()
    {
        float[] flat = GetAdapter();
        var named = new Dictionary<string, float[]>(StringComparer.Ordinal);
        int at = 0;
        foreach (Protocol.Deltas.TensorInfo t in Schema.Tensors)
        {
            named[t.Name] = flat.AsSpan(at, (int)t.ElementCount).ToArray();
            at += (int)t.ElementCount;
        }

        return named;
    }

    private void RequireLength(int length, string what)
    {
        if (length != Schema.TotalElements)
        {
            throw new ArgumentException($"{what} has {length} values; schema {Schema.HashHex[..12]}… needs {Schema.TotalElements}", what);
        }
    }
}
