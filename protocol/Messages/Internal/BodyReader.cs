using System.Buffers;
using System.Text;
using MessagePack;

namespace FedMesh.Protocol.Messages.Internal;

/// <summary>
/// A checking front over <see cref="MessagePackReader"/>: every read names the field it is reading, every
/// count and length is compared with its cap before anything is allocated, and any failure is a
/// <see cref="ProtocolException"/> with <see cref="ProtocolErrorCode.MalformedMessage"/>. Callers run inside
/// <see cref="Guard"/>, which turns MessagePack's own exceptions into the same.
/// </summary>
internal ref struct BodyReader
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private MessagePackReader _reader;
    private readonly string _message;

    public BodyReader(ReadOnlyMemory<byte> body, string message)
    {
        _reader = new MessagePackReader(body);
        _message = message;
    }

    public readonly bool End => _reader.End;

    public readonly long Consumed => _reader.Consumed;

    public static ProtocolException Malformed(string message, string reason) =>
        new(ProtocolErrorCode.MalformedMessage, $"{message}: {reason}");

    /// <summary>Runs a decoder, converting MessagePack's exceptions (truncation, wrong type, overflow,
    /// invalid UTF-8) into <see cref="ProtocolException"/> so callers catch exactly one type.</summary>
    public static T Guard<T>(string message, Func<T> decode) => Guard(message, decode, static (_, d) => d());

    /// <summary>As <see cref="Guard{T}(string, Func{T})"/>, with explicit state so hot callers allocate no closure.</summary>
    public static T Guard<TState, T>(string message, TState state, Func<string, TState, T> decode)
    {
        try
        {
            return decode(message, state);
        }
        catch (MessagePackSerializationException e)
        {
            throw new ProtocolException(ProtocolErrorCode.MalformedMessage, $"{message}: {e.Message}", e);
        }
        catch (EndOfStreamException e)
        {
            throw new ProtocolException(ProtocolErrorCode.MalformedMessage, $"{message}: truncated", e);
        }
        catch (OverflowException e)
        {
            throw new ProtocolException(ProtocolErrorCode.MalformedMessage, $"{message}: integer out of range", e);
        }
        catch (DecoderFallbackException e)
        {
            throw new ProtocolException(ProtocolErrorCode.MalformedMessage, $"{message}: invalid UTF-8", e);
        }
    }

    public readonly ProtocolException Error(string reason) => Malformed(_message, reason);

    /// <summary>Reads the message's top-level array header: at least <paramref name="known"/> elements,
    /// at most <paramref name="known"/> + <see cref="MessageLimits.MaxTrailingElements"/>.</summary>
    public int ReadEnvelope(int known)
    {
        int count = ReadArrayHeader("message", known, known + MessageLimits.MaxTrailingElements);
        return count - known;
    }

    /// <summary>Skips unknown trailing elements (SPEC §4.1) and requires the body to end right after them.</summary>
    public void Finish(int trailing)
    {
        for (int i = 0; i < trailing; i++)
        {
            SkipValue(depth: 1);
        }

        if (!_reader.End)
        {
            throw Error($"{(_reader.Sequence.Length - _reader.Consumed)} bytes after the message array");
        }
    }

    public int ReadArrayHeader(string field, int min, int max)
    {
        RequireType(field, MessagePackType.Array, "array");
        int count = _reader.ReadArrayHeader();
        if (count < min || count > max)
        {
            throw Error(min == max
                ? $"{field} has {count} elements, expected {min}"
                : $"{field} has {count} elements, expected {min}..{max}");
        }

        return count;
    }

    public ulong ReadUInt64(string field)
    {
        RequireType(field, MessagePackType.Integer, "unsigned integer");
        return _reader.ReadUInt64();
    }

    public uint ReadUInt32(string field)
    {
        RequireType(field, MessagePackType.Integer, "unsigned integer");
        return _reader.ReadUInt32();
    }

    public ushort ReadUInt16(string field)
    {
        RequireType(field, MessagePackType.Integer, "unsigned integer");
        return _reader.ReadUInt16();
    }

    public byte ReadUInt8(string field)
    {
        RequireType(field, MessagePackType.Integer, "unsigned integer");
        return _reader.ReadByte();
    }

    public bool ReadBoolean(string field)
    {
        RequireType(field, MessagePackType.Boolean, "boolean");
        return _reader.ReadBoolean();
    }

    public float ReadSingle(string field)
    {
        RequireType(field, MessagePackType.Float, "float");
        return _reader.ReadSingle();
    }

    public double ReadDouble(string field)
    {
        RequireType(field, MessagePackType.Float, "float");
        return _reader.ReadDouble();
    }

    public bool TryReadNil() => _reader.TryReadNil();

    /// <summary>Reads a bin of exactly <paramref name="length"/> bytes (hashes, keys, signatures).</summary>
    public byte[] ReadFixedBin(string field, int length) => ReadBin(field, length, length).ToArray();

    /// <summary>Reads a bin of <paramref name="min"/>..<paramref name="max"/> bytes without copying.</summary>
    public ReadOnlySequence<byte> ReadBin(string field, int min, int max)
    {
        RequireType(field, MessagePackType.Binary, "bin");
        RequireDeclaredLength(field, min, max);
        return _reader.ReadBytes() ?? throw Error($"{field} is nil");
    }

    /// <summary>Reads a UTF-8 str of <paramref name="min"/>..<paramref name="maxBytes"/> bytes; invalid UTF-8 is rejected.</summary>
    public string ReadString(string field, int min, int maxBytes)
    {
        RequireType(field, MessagePackType.String, "str");
        RequireDeclaredLength(field, min, maxBytes);
        ReadOnlySequence<byte> bytes = _reader.ReadStringSequence() ?? throw Error($"{field} is nil");
        return StrictUtf8.GetString(bytes);
    }

    /// <summary>
    /// Reads the length in a str/bin/ext header (without consuming it) and checks it against the cap and the
    /// bytes left, before MessagePack's reader sees it: its reader treats a 32-bit length ≥ 2³¹ as a negative
    /// int and fails with an exception type outside our contract.
    /// </summary>
    private readonly void RequireDeclaredLength(string field, int min, int max)
    {
        ReadOnlySequence<byte> rest = _reader.Sequence.Slice(_reader.Position);
        Span<byte> header = stackalloc byte[6];
        int have = (int)Math.Min(rest.Length, header.Length);
        rest.Slice(0, have).CopyTo(header);

        // (bytes of the length field, fixed payload length, bytes between header and payload: ext's type byte)
        (int lengthBytes, int fixedLength, int extra) = header[0] switch
        {
            >= 0xa0 and <= 0xbf => (0, header[0] & 0x1f, 0), // fixstr
            0xc4 or 0xd9 => (1, 0, 0), // bin8, str8
            0xc5 or 0xda => (2, 0, 0), // bin16, str16
            0xc6 or 0xdb => (4, 0, 0), // bin32, str32
            0xc7 => (1, 0, 1), // ext8
            0xc8 => (2, 0, 1), // ext16
            0xc9 => (4, 0, 1), // ext32
            0xd4 => (0, 1, 1), // fixext1
            0xd5 => (0, 2, 1), // fixext2
            0xd6 => (0, 4, 1), // fixext4
            0xd7 => (0, 8, 1), // fixext8
            0xd8 => (0, 16, 1), // fixext16
            _ => throw Error($"{field} is not a str, bin or ext"),
        };
        if (have < 1 + lengthBytes)
        {
            throw Error($"truncated in the header of {field}");
        }

        ulong length = (ulong)fixedLength;
        for (int i = 1; i <= lengthBytes; i++)
        {
            length = (length << 8) | header[i];
        }

        if (length < (ulong)min || length > (ulong)max)
        {
            throw Error(min == max
                ? $"{field} is {length} bytes, expected {min}"
                : $"{field} is {length} bytes, expected {min}..{max}");
        }

        long available = rest.Length - 1 - lengthBytes - extra;
        if ((long)length > available)
        {
            throw Error($"{field} declares {length} bytes but only {Math.Max(0, available)} remain");
        }
    }

    private readonly void RequireType(string field, MessagePackType expected, string name)
    {
        if (_reader.End)
        {
            throw Error($"truncated before {field}");
        }

        MessagePackType actual = _reader.NextMessagePackType;
        if (actual != expected)
        {
            throw Error($"{field} must be {name}, got {actual}");
        }
    }

    /// <summary>
    /// Skips one value of any type without recursion into unbounded depth: nesting beyond
    /// <see cref="MessageLimits.MaxDepth"/> is rejected, and a container's claimed count is checked against the
    /// bytes left (each element takes at least one byte) so a lying header cannot make the loop run long.
    /// </summary>
    private void SkipValue(int depth)
    {
        if (depth > MessageLimits.MaxDepth)
        {
            throw Error($"nesting deeper than {MessageLimits.MaxDepth}");
        }

        if (_reader.End)
        {
            throw Error("truncated in a trailing element");
        }

        switch (_reader.NextMessagePackType)
        {
            case MessagePackType.Array:
                {
                    int count = _reader.ReadArrayHeader();
                    RequireRoom(count);
                    for (int i = 0; i < count; i++)
                    {
                        SkipValue(depth + 1);
                    }

                    break;
                }

            case MessagePackType.Map:
                {
                    int count = _reader.ReadMapHeader();
                    RequireRoom(2L * count);
                    for (int i = 0; i < 2 * count; i++)
                    {
                        SkipValue(depth + 1);
                    }

                    break;
                }

            case MessagePackType.String:
            case MessagePackType.Binary:
            case MessagePackType.Extension:
                RequireDeclaredLength("trailing element", 0, int.MaxValue);
                _reader.Skip();
                break;

            default:
                // Fixed-size scalars: MessagePack's skip reads the header and its few bytes, failing with
                // EndOfStream (converted by Guard) when they are missing.
                _reader.Skip();
                break;
        }
    }

    private readonly void RequireRoom(long elements)
    {
        if (elements > (_reader.Sequence.Length - _reader.Consumed))
        {
            throw Error($"container claims {elements} elements but only {(_reader.Sequence.Length - _reader.Consumed)} bytes remain");
        }
    }
}
