using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace FedMesh.Node.Data;

/// <summary>
/// Deterministic document-level train/holdout split. A document is held out when
/// SHA-256("fedmesh-split-v1" ‖ u64 LE seed ‖ UTF-8 identity), read as a little-endian u64 over 2^64, is below the
/// holdout fraction. The decision depends only on (identity, seed): not on order, on the other documents, or on the
/// machine, so a node re-loading its folder (or another process) gets the same split, and adding a document never
/// moves an existing one across the line.
/// </summary>
public static class DocumentSplit
{
    private static readonly byte[] Domain = Encoding.ASCII.GetBytes("fedmesh-split-v1");

    /// <summary>Items on each side, in input order.</summary>
    public sealed record Result<T>(IReadOnlyList<T> Train, IReadOnlyList<T> Holdout);

    public static Result<T> Split<T>(IReadOnlyList<T> items, Func<T, string> identity, ulong seed, double holdoutFraction)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(identity);
        CheckFraction(holdoutFraction);
        var train = new List<T>();
        var holdout = new List<T>();
        foreach (var item in items)
        {
            (IsHoldout(identity(item), seed, holdoutFraction) ? holdout : train).Add(item);
        }

        return new Result<T>(train, holdout);
    }

    /// <summary>Whether the document named <paramref name="identity"/> belongs to the holdout side.</summary>
    public static bool IsHoldout(string identity, ulong seed, double holdoutFraction)
    {
        ArgumentNullException.ThrowIfNull(identity);
        CheckFraction(holdoutFraction);
        return UnitHash(identity, seed) < holdoutFraction;
    }

    /// <summary>The keyed hash of <paramref name="identity"/> mapped to [0, 1), uniform over identities.</summary>
    public static double UnitHash(string identity, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(identity);
        int length = Domain.Length + sizeof(ulong) + Encoding.UTF8.GetMaxByteCount(identity.Length);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            Domain.CopyTo(buffer, 0);
            BinaryPrimitives.WriteUInt64LittleEndian(buffer.AsSpan(Domain.Length), seed);
            int used = Domain.Length + sizeof(ulong)
                + Encoding.UTF8.GetBytes(identity, buffer.AsSpan(Domain.Length + sizeof(ulong)));
            Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
            SHA256.HashData(buffer.AsSpan(0, used), hash);

            // The top 53 bits fill a double's mantissa exactly, so the result is uniform on a 2^-53 grid in [0, 1).
            return (BinaryPrimitives.ReadUInt64LittleEndian(hash) >> 11) * (1.0 / (1UL << 53));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static void CheckFraction(double fraction)
    {
        if (!(fraction >= 0 && fraction <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "the holdout fraction must be in [0, 1]");
        }
    }
}
