using System.Collections.Concurrent;
using TorchSharp;

namespace FedMesh.Node.Learning.Internal;

/// <summary>
/// The only place the learning code makes TorchSharp <see cref="Scalar"/>s. TorchSharp 0.107 frees a Scalar's
/// native c10::Scalar in its finalizer and passes <c>scalar.Handle</c> (a raw pointer) to libtorch: once the
/// handle is read, a Scalar that no variable references any more — the implicit <c>1</c> inside
/// <c>x + y</c> (<c>add(target, 1)</c>), a float passed as <c>alpha</c> — may be finalized by a GC on another
/// thread while the native call still reads it. Under load that killed daemons in ByteTransformer.Forward
/// with "Expected false to be true … toFloat at Scalar.h:140" (a freed tag), and a freed value that still
/// reads as a double silently scales the addend (cf. dotnet/TorchSharp#1434, #1496). Scalars from here are
/// kept for the life of the process (<see cref="Constant(double)"/>) or by the caller's <c>using</c>
/// (<see cref="Owned"/>); ScalarLifetimeTests checks no other code makes one or calls a TorchSharp overload
/// that makes one internally (operator + on tensors, <c>add(Tensor)</c>, <c>ToSingle()</c>, …).
/// </summary>
internal static class TorchScalars
{
    /// <summary>
    /// Distinct constants kept: hyper-parameters and literals (LoRA scale, norm ε, clip norm, init std) number a
    /// handful per model; the cap turns a per-step value passed here by mistake into an error, not a leak.
    /// </summary>
    public const int MaxConstants = 1024;

    private static readonly ConcurrentDictionary<double, Scalar> Reals = new();
    private static readonly ConcurrentDictionary<long, Scalar> Integers = new();

    /// <summary>1 (int64): the alpha of a plain <c>add</c>/<c>sub</c>, as TorchSharp's own overloads pass it.</summary>
    public static Scalar One { get; } = Constant(1L);

    /// <summary>A float64 Scalar of <paramref name="value"/>, kept alive for the life of the process.</summary>
    public static Scalar Constant(double value) => Keep(Reals, value, static v => v.ToScalar());

    /// <summary>An int64 Scalar of <paramref name="value"/>, kept alive for the life of the process.</summary>
    public static Scalar Constant(long value) => Keep(Integers, value, static v => v.ToScalar());

    /// <summary>
    /// A float64 Scalar for a value that changes from call to call; the caller owns it and holds it with
    /// <c>using</c> across every native call that reads it (the using's Dispose keeps it reachable until then).
    /// </summary>
    public static Scalar Owned(double value) => value.ToScalar();

    private static Scalar Keep<T>(ConcurrentDictionary<T, Scalar> kept, T value, Func<T, Scalar> make)
        where T : notnull
    {
        if (kept.TryGetValue(value, out Scalar? scalar))
        {
            return scalar;
        }

        if (Reals.Count + Integers.Count >= MaxConstants)
        {
            throw new InvalidOperationException(
                $"TorchScalars: more than {MaxConstants} distinct constants (next {value}); pass values that change per call through Owned");
        }

        // A racing thread's extra Scalar is disposed at once instead of waiting for its finalizer.
        Scalar made = make(value);
        Scalar winner = kept.GetOrAdd(value, made);
        if (!ReferenceEquals(winner, made))
        {
            made.Dispose();
        }

        return winner;
    }
}
