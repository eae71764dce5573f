using System.Reflection;
using FedMesh.Node.Learning;
using FedMesh.Node.Learning.Internal;
using TorchSharp;

namespace FedMesh.Node.Tests.Learning;

/// <summary>
/// TorchSharp 0.107's <see cref="Scalar"/> frees its native c10::Scalar in a finalizer, and its wrappers read
/// <c>scalar.Handle</c> before the native call: a Scalar nobody references after that read (an implicit
/// <c>1</c> → Scalar inside <c>x + y</c>, a float passed as <c>alpha</c>) can be finalized by a GC on another
/// thread while libtorch still reads it — "toFloat at Scalar.h:140" or a silently wrong alpha (issue 16's
/// 32-daemon crash in ByteTransformer.Forward). The learning code therefore passes libtorch only Scalars that
/// <see cref="TorchScalars"/> keeps alive.
/// </summary>
public sealed class ScalarLifetimeTests
{
    private static readonly Assembly TorchSharpAssembly = typeof(Scalar).Assembly;

    /// <summary>TorchSharp methods that make a fresh Scalar: op_Implicit, ToScalar*, Tensor.ToScalar().</summary>
    private static bool MakesScalar(MethodBase m) =>
        m.DeclaringType == typeof(Scalar) && m.Name == "op_Implicit"
        || m.DeclaringType == typeof(ScalarExtensionMethods) && m.Name.StartsWith("To", StringComparison.Ordinal) && m.Name.EndsWith("Scalar", StringComparison.Ordinal)
        || m.DeclaringType == typeof(torch.Tensor) && m.Name == nameof(torch.Tensor.ToScalar);

    [Fact]
    public void Learning_code_hands_libtorch_no_temporary_Scalar()
    {
        var hazards = new TorchSharpHazards(MakesScalar);
        var violations = new List<string>();
        foreach (MethodBase caller in IlCalls.Methods(typeof(TorchLearner).Assembly))
        {
            if (IsWithin(caller.DeclaringType, typeof(TorchScalars)))
            {
                continue;
            }

            foreach (MethodBase callee in IlCalls.Callees(caller).Where(c => c.DeclaringType?.Assembly == TorchSharpAssembly))
            {
                if (MakesScalar(callee) || hazards.MakesTemporaryScalar(callee))
                {
                    violations.Add($"{caller.DeclaringType?.FullName}.{caller.Name} calls {callee.DeclaringType?.Name}.{callee}");
                }
            }
        }

        Assert.True(violations.Count == 0, "temporary Scalars handed to libtorch:\n" + string.Join("\n", violations.Distinct()));
    }

    [Fact]
    public void Forward_passes_stay_exact_while_another_thread_forces_collections()
    {
        // The daemon's crash, made likely: a GC on another thread at every moment, finalizers run at once. Before
        // TorchScalars a few thousand forward passes failed in THSTensor_add ("toFloat at Scalar.h:140"), or gave
        // a different loss when a freed alpha still read as a double. Bounded by a pass count, not a time.
        // Generation 1, not full collections: the hazard's Scalars are temporaries made during the pass, so they
        // die young and a gen-1 collection finalizes them as a full one would. Full collections of the test
        // process's whole heap stalled every test running beside this one and took this test up to 928 s in a
        // loaded suite; with a temporary alpha put back into ByteTransformer (session 28) the gen-1 loop failed it
        // in 2-5 s in 5 of 5 runs (full collections: 9 s).
        const int Passes = 3000;
        using ByteTransformer model = ByteTransformer.CreateRandom(new ModelOptions { Layers = 2, Width = 16, Heads = 2, Context = 8 }, seed: 11);
        model.AttachLora(LoraOptions.Default with { Rank = 2 }, seed: 12);
        long[] bytes = Enumerable.Range(0, 2 * 9).Select(i => (long)('a' + (i % 26))).ToArray();
        using torch.Tensor windows = torch.tensor(bytes, new long[] { 2, 9 });
        float expected = Loss(model, windows);

        using var done = new CancellationTokenSource();
        var collector = new Thread(() =>
        {
            while (!done.IsCancellationRequested)
            {
                GC.Collect(1, GCCollectionMode.Forced, blocking: true);
                GC.WaitForPendingFinalizers();
            }
        }) { IsBackground = true, Name = "gc-pressure" };
        collector.Start();
        try
        {
            for (int i = 0; i < Passes; i++)
            {
                Assert.Equal(expected, Loss(model, windows));
            }
        }
        finally
        {
            done.Cancel();
            collector.Join();
        }
    }

    [Fact]
    public void The_hazard_scan_sees_the_implicit_alpha_of_tensor_plus_tensor()
    {
        // The rule above is only as good as this scan: operator + (Tensor, Tensor) → add(target, 1) makes an
        // implicit Scalar inside TorchSharp; add(target, alpha) with a caller's Scalar does not.
        var hazards = new TorchSharpHazards(MakesScalar);
        MethodInfo plus = typeof(torch.Tensor).GetMethod("op_Addition", new[] { typeof(torch.Tensor), typeof(torch.Tensor) })!;
        MethodInfo addAlpha = typeof(torch.Tensor).GetMethod(nameof(torch.Tensor.add), new[] { typeof(torch.Tensor), typeof(Scalar) })!;

        Assert.True(hazards.MakesTemporaryScalar(plus));
        Assert.False(hazards.MakesTemporaryScalar(addAlpha));
    }

    [Fact]
    public void Kept_scalars_are_shared_per_value_and_type()
    {
        Assert.Same(TorchScalars.Constant(0.5), TorchScalars.Constant(0.5));
        Assert.NotSame(TorchScalars.Constant(1.0), TorchScalars.Constant(1L));
        Assert.Equal(torch.ScalarType.Float64, TorchScalars.Constant(1.0).Type);
        Assert.Equal(torch.ScalarType.Int64, TorchScalars.Constant(1L).Type);
    }

    private static float Loss(ByteTransformer model, torch.Tensor windows)
    {
        using DisposeScope scope = torch.NewDisposeScope();
        return model.Loss(windows, training: false).item<float>();
    }

    private static bool IsWithin(Type? type, Type outer)
    {
        for (; type is not null; type = type.DeclaringType)
        {
            if (type == outer)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>TorchSharp methods whose body (transitively, within TorchSharp) makes a Scalar and passes it on.</summary>
    private sealed class TorchSharpHazards(Func<MethodBase, bool> makesScalar)
    {
        private readonly Dictionary<MethodBase, bool> _known = new();

        public bool MakesTemporaryScalar(MethodBase method)
        {
            if (_known.TryGetValue(method, out bool known))
            {
                return known;
            }

            _known[method] = false; // a cycle adds nothing new
            bool result = IlCalls.Callees(method)
                .Where(c => c.DeclaringType?.Assembly == TorchSharpAssembly)
                .Any(c => makesScalar(c) || MakesTemporaryScalar(c));
            _known[method] = result;
            return result;
        }
    }
}
