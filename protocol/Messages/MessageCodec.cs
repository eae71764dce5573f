using System.Buffers;
using FedMesh.Protocol.Messages.Internal;
using FedMesh.Protocol.Wire;
using MessagePack;

namespace FedMesh.Protocol.Messages;

/// <summary>
/// Maps frame types to messages and back (SPEC.md §4). <see cref="Encode"/> produces a frame's plaintext
/// payload; <see cref="Decode"/> parses one and throws only <see cref="ProtocolException"/>
/// (<see cref="ProtocolErrorCode.UnexpectedFrameType"/> for a type that carries no message,
/// <see cref="ProtocolErrorCode.MalformedMessage"/> for everything wrong with the body).
/// </summary>
public static class MessageCodec
{
    /// <summary>Encodes a message body. Throws <see cref="ArgumentException"/> if a field breaks its cap:
    /// we never send what a conforming peer must reject.</summary>
    public static byte[] Encode(WireMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        using var buffer = new PooledBufferWriter(message.SizeHint);
        Encode(message, buffer);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Encodes into an array rented from <see cref="ArrayPool{T}.Shared"/> (the body is its first
    /// <paramref name="length"/> bytes); the caller returns the array. The send path's encoder: no LOH
    /// allocation and no copy between encoding and encryption.
    /// </summary>
    internal static byte[] EncodePooled(WireMessage message, out int length)
    {
        ArgumentNullException.ThrowIfNull(message);
        var buffer = new PooledBufferWriter(message.SizeHint);
        try
        {
            Encode(message, buffer);
            length = buffer.WrittenCount;
            return buffer.Detach();
        }
        catch
        {
            buffer.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Encodes a DeltaChunk's body without its data bytes into a rented array (the first
    /// <paramref name="length"/> bytes; the caller returns it): the body is this head followed by
    /// <see cref="DeltaChunkMessage.Data"/>, which the send path copies once, straight into the frame it encrypts.
    /// </summary>
    internal static byte[] EncodePooledHead(DeltaChunkMessage chunk, out int length)
    {
        ArgumentNullException.ThrowIfNull(chunk);
        chunk.Validate();

        // The size hint less the data is the head's exact bound (DeltaChunkMessage.SizeHint).
        var buffer = new PooledBufferWriter(chunk.SizeHint - chunk.Data.Length);
        try
        {
            var writer = new MessagePackWriter(buffer);
            writer.WriteArrayHeader(chunk.FieldCount);
            chunk.WriteHead(ref writer);
            writer.Flush();
            length = buffer.WrittenCount;
            return buffer.Detach();
        }
        catch
        {
            buffer.Dispose();
            throw;
        }
    }

    /// <summary>Encodes a message body into <paramref name="output"/> (e.g. straight into a frame buffer).</summary>
    public static void Encode(WireMessage message, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(message);
        message.Validate();
        var writer = new MessagePackWriter(output);
        writer.WriteArrayHeader(message.FieldCount);
        message.WriteFields(ref writer);
        writer.Flush();
    }

    /// <summary>True for the frame types whose payload is a message of this layer (0x10–0x19).</summary>
    public static bool CarriesMessage(FrameType type) => type is >= FrameType.Hello and <= FrameType.Error;

    /// <summary>Decodes the plaintext payload of a frame of type <paramref name="type"/>.</summary>
    public static WireMessage Decode(FrameType type, ReadOnlyMemory<byte> body) => Decode(type, body, borrow: false);

    /// <summary>
    /// Like <see cref="Decode(FrameType, ReadOnlyMemory{byte})"/>, but a DeltaChunk's <see cref="DeltaChunkMessage.Data"/>
    /// is a slice of <paramref name="body"/> instead of a copy: the result is valid only while the body is (e.g.
    /// inside the <c>using</c> of a <c>ReceivedFrame</c>). For a receiver that hands the chunk to a
    /// <see cref="Deltas.DeltaAssembler"/> at once, which copies it into the payload buffer: one copy instead of two
    /// and no 1 MiB allocation per chunk. Every check is the same.
    /// </summary>
    public static WireMessage DecodeBorrowed(FrameType type, ReadOnlyMemory<byte> body) => Decode(type, body, borrow: true);

    private static WireMessage Decode(FrameType type, ReadOnlyMemory<byte> body, bool borrow)
    {
        if (!CarriesMessage(type))
        {
            throw new ProtocolException(ProtocolErrorCode.UnexpectedFrameType, $"frame type 0x{(byte)type:x2} carries no message");
        }

        string name = NameOf(type);
        return BodyReader.Guard(name, (type, body, borrow), static (what, state) =>
        {
            var reader = new BodyReader(state.body, what);
            int trailing = reader.ReadEnvelope(FieldCount(state.type));
            WireMessage message = state.type switch
            {
                FrameType.Hello => HelloMessage.Read(ref reader),
                FrameType.PeerList => PeerListMessage.Read(ref reader, ref trailing),
                FrameType.Have => HaveMessage.Read(ref reader),
                FrameType.Want => WantMessage.Read(ref reader),
                FrameType.DeltaManifest => DeltaManifestMessage.Read(ref reader),
                FrameType.DeltaChunk => DeltaChunkMessage.Read(ref reader, state.borrow),
                FrameType.Ping => PingMessage.Read(ref reader),
                FrameType.Pong => PongMessage.Read(ref reader),
                FrameType.Bye => ByeMessage.Read(ref reader),
                _ => ErrorMessage.Read(ref reader),
            };
            reader.Finish(trailing);
            return message;
        });
    }

    /// <summary>Decodes and checks that the message is of the expected CLR type.</summary>
    public static T Decode<T>(FrameType type, ReadOnlyMemory<byte> body)
        where T : WireMessage =>
        Decode(type, body) as T
            ?? throw new ProtocolException(ProtocolErrorCode.UnexpectedFrameType, $"frame type {type} does not carry {typeof(T).Name}");

    /// <summary>The name of a message-carrying frame type, as its <c>ToString()</c> gives it without boxing the enum
    /// (a box per decoded message was 0.6 % of a 1,000-node netsim run's allocations).</summary>
    private static string NameOf(FrameType type) => type switch
    {
        FrameType.Hello => nameof(FrameType.Hello),
        FrameType.PeerList => nameof(FrameType.PeerList),
        FrameType.Have => nameof(FrameType.Have),
        FrameType.Want => nameof(FrameType.Want),
        FrameType.DeltaManifest => nameof(FrameType.DeltaManifest),
        FrameType.DeltaChunk => nameof(FrameType.DeltaChunk),
        FrameType.Ping => nameof(FrameType.Ping),
        FrameType.Pong => nameof(FrameType.Pong),
        FrameType.Bye => nameof(FrameType.Bye),
        _ => type.ToString(),
    };

    private static int FieldCount(FrameType type) => type switch
    {
        FrameType.Hello => HelloMessage.Fields,
        FrameType.PeerList => PeerListMessage.Fields,
        FrameType.Have => HaveMessage.Fields,
        FrameType.Want => WantMessage.Fields,
        FrameType.DeltaManifest => DeltaManifestMessage.Fields,
        FrameType.DeltaChunk => DeltaChunkMessage.Fields,
        FrameType.Ping or FrameType.Pong => NonceMessage.Fields,
        _ => ReasonMessage.Fields,
    };
}
