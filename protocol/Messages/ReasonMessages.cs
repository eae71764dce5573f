using FedMesh.Protocol.Messages.Internal;
using FedMesh.Protocol.Wire;
using MessagePack;

namespace FedMesh.Protocol.Messages;

/// <summary>
/// Base of the two messages that carry a <see cref="ProtocolErrorCode"/> and a one-line text (SPEC.md §4.9).
/// Layout: [code u16, text str]. Codes a receiver does not know are kept as their number (codes are only
/// ever appended, §6), so an older node still reports a newer peer's reason.
/// </summary>
public abstract record ReasonMessage(ProtocolErrorCode Code, string Text) : WireMessage
{
    /// <summary>Fields of the v1 layout.</summary>
    internal const int Fields = 2;

    internal override int FieldCount => Fields;

    internal override void Validate() => CheckText(Text, MessageLimits.MaxReasonTextBytes, nameof(Text));

    internal override void WriteFields(ref MessagePackWriter writer)
    {
        writer.Write((ushort)Code);
        writer.Write(Text);
    }

    /// <summary>A reason as Bye/Error text: one line of at most <see cref="MessageLimits.MaxReasonTextBytes"/> UTF-8
    /// bytes (cut at a character boundary), so reporting a failure never fails on its own message.</summary>
    public static string OneLine(string reason)
    {
        ArgumentNullException.ThrowIfNull(reason);
        string line = reason.ReplaceLineEndings(" ");
        if (System.Text.Encoding.UTF8.GetByteCount(line) <= MessageLimits.MaxReasonTextBytes)
        {
            return line;
        }

        int chars = Math.Min(line.Length, MessageLimits.MaxReasonTextBytes);
        while (System.Text.Encoding.UTF8.GetByteCount(line.AsSpan(0, chars)) > MessageLimits.MaxReasonTextBytes || char.IsHighSurrogate(line[chars - 1]))
        {
            chars--;
        }

        return line[..chars];
    }

    private protected static (ProtocolErrorCode Code, string Text) ReadFields(ref BodyReader reader) =>
        ((ProtocolErrorCode)reader.ReadUInt16("code"), reader.ReadString("text", 0, MessageLimits.MaxReasonTextBytes));
}

/// <summary>Orderly close: the sender closes the connection after this (SPEC.md §4.9).</summary>
public sealed record ByeMessage(ProtocolErrorCode Code, string Text) : ReasonMessage(Code, Text)
{
    public override FrameType Type => FrameType.Bye;

    internal static ByeMessage Read(ref BodyReader reader)
    {
        (ProtocolErrorCode code, string text) = ReadFields(ref reader);
        return new ByeMessage(code, text);
    }
}

/// <summary>Reports a problem with a request without closing the connection (SPEC.md §4.9).</summary>
public sealed record ErrorMessage(ProtocolErrorCode Code, string Text) : ReasonMessage(Code, Text)
{
    public override FrameType Type => FrameType.Error;

    internal static ErrorMessage Read(ref BodyReader reader)
    {
        (ProtocolErrorCode code, string text) = ReadFields(ref reader);
        return new ErrorMessage(code, text);
    }
}
