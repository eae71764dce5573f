using FedMesh.Protocol;

namespace FedMesh.Node.Learning;

/// <summary>
/// Decides whether a received delta can be applied by a learner: same base checkpoint, same adapter schema,
/// right length. Callers refuse the delta with the returned reason (SPEC.md §Adapter schema hash).
/// </summary>
public static class DeltaCompatibility
{
    /// <summary>Null when compatible; otherwise a one-line reason naming the mismatch.</summary>
    public static string? Check(ILearner learner, ReadOnlySpan<byte> baseModelHash, ReadOnlySpan<byte> schemaHash, long length)
    {
        ArgumentNullException.ThrowIfNull(learner);
        if (!baseModelHash.SequenceEqual(learner.BaseModelHash.Span))
        {
            return $"base model {Short(baseModelHash)} differs from ours {Short(learner.BaseModelHash.Span)}";
        }

        if (!schemaHash.SequenceEqual(learner.Schema.Hash))
        {
            return $"adapter schema {Short(schemaHash)} differs from ours {Short(learner.Schema.Hash)}";
        }

        if (length != learner.Schema.TotalElements)
        {
            return $"delta has {length} values, our schema has {learner.Schema.TotalElements}";
        }

        return null;
    }

    /// <summary>Throws <see cref="ProtocolException"/> (<see cref="ProtocolErrorCode.IncompatiblePeer"/>) on mismatch.</summary>
    public static void Ensure(ILearner learner, ReadOnlySpan<byte> baseModelHash, ReadOnlySpan<byte> schemaHash, long length)
    {
        if (Check(learner, baseModelHash, schemaHash, length) is { } reason)
        {
            throw new ProtocolException(ProtocolErrorCode.IncompatiblePeer, reason);
        }
    }

    /// <summary>First 6 bytes in hex: enough to tell hashes apart in a log line.</summary>
    private static string Short(ReadOnlySpan<byte> hash) =>
        hash.IsEmpty ? "(none)" : Convert.ToHexStringLower(hash[..Math.Min(6, hash.Length)]) + "…";
}
