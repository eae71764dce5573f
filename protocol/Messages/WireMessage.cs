using FedMesh.Protocol.Messages.Internal;
using FedMesh.Protocol.Wire;
using System.Runtime.CompilerServices;
using MessagePack;

namespace FedMesh.Protocol.Messages;

/// <summary>
/// A message carried as the plaintext payload of one frame (SPEC.md §4). Each message is one MessagePack
/// array with a fixed field order; <see cref="MessageCodec"/> maps frame types to message types.
/// </summary>
public abstract record WireMessage
{
    /// <summary>The frame type whose payload this message is.</summary>
    public abstract FrameType Type { get; }

    /// <summary>Number of fields in the v1 layout (the array may carry more, §4.1).</summary>
    internal abstract int FieldCount { get; }

    /// <summary>
    /// Bytes to reserve before encoding. 256 holds every fixed-size message (Hello, Ping, Have of a few ids)
    /// without regrowing; messages with a large payload (DeltaChunk) override it with their exact bound.
    /// </summary>
    internal virtual int SizeHint => 256;

    /// <summary>Writes the fields after the array header, in SPEC order.</summary>
    internal abstract void WriteFields(ref MessagePackWriter writer);

    /// <summary>Checks the record's own invariants before it is encoded, so we never send what we would reject.</summary>
    internal abstract void Validate();

    /// <summary>Throws <see cref="ArgumentException"/> when an outgoing field breaks its cap.</summary>
    private protected static void Check(bool ok, string message, string field)
    {
        if (!ok)
        {
            throw new ArgumentException(message, field);
        }
    }

    /// <summary>As <see cref="Check(bool, string, string)"/>, with the message formatted only when the check fails:
    /// every message is validated when encoded and decoded, and formatting each field's error text up front was
    /// a sixth of the bytes a simulated node allocated.</summary>
    private protected static void Check(bool ok, [InterpolatedStringHandlerArgument(nameof(ok))] ref FailureMessage message, string field)
    {
        if (!ok)
        {
            throw new ArgumentException(message.ToStringAndClear(), field);
        }
    }

    private protected static void CheckHash(ReadOnlyMemory<byte> value, string field) =>
        Check(value.Length == MessageLimits.HashLength, $"{field} must be {MessageLimits.HashLength} bytes", field);

    private protected static void CheckText(string value, int maxBytes, string field) =>
        Check(value is not null && System.Text.Encoding.UTF8.GetByteCount(value) <= maxBytes, $"{field} must be at most {maxBytes} UTF-8 bytes", field);

    private protected static void CheckAddresses(IReadOnlyList<string> addresses, string field)
    {
        Check(addresses is not null && addresses.Count <= MessageLimits.MaxAddresses, $"{field}: at most {MessageLimits.MaxAddresses} addresses", field);
        // Indexed loops here and in WriteAddresses: foreach over the interface boxed an enumerator per message (1 % of
        // a 1,000-node netsim run's allocations, every peer list encoded).
        for (int i = 0; i < addresses!.Count; i++)
        {
            string a = addresses[i];
            Check(!string.IsNullOrEmpty(a), $"{field}: empty address", field);
            CheckText(a, MessageLimits.MaxAddressBytes, field);
        }
    }

    private protected static void WriteAddresses(ref MessagePackWriter writer, IReadOnlyList<string> addresses)
    {
        writer.WriteArrayHeader(addresses.Count);
        for (int i = 0; i < addresses.Count; i++)
        {
            writer.Write(addresses[i]);
        }
    }

    private protected static string[] ReadAddresses(ref BodyReader reader, string field)
    {
        int count = reader.ReadArrayHeader(field, 0, MessageLimits.MaxAddresses);
        var result = new string[count];
        for (int i = 0; i < count; i++)
        {
            result[i] = reader.ReadString(field, 1, MessageLimits.MaxAddressBytes);
        }

        return result;
    }

    /// <summary>An error message built only when its check failed (<see cref="InterpolatedStringHandlerAttribute"/>:
    /// the compiler skips the appends when <c>shouldAppend</c> is false).</summary>
    [InterpolatedStringHandler]
    private protected ref struct FailureMessage
    {
        private DefaultInterpolatedStringHandler _text;

        public FailureMessage(int literalLength, int formattedCount, bool ok, out bool shouldAppend)
        {
            shouldAppend = !ok;
            _text = ok ? default : new DefaultInterpolatedStringHandler(literalLength, formattedCount);
        }

        public void AppendLiteral(string value) => _text.AppendLiteral(value);

        public void AppendFormatted<T>(T value) => _text.AppendFormatted(value);

        public string ToStringAndClear() => _text.ToStringAndClear();
    }
}
