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
        var buffer = new ArrayBufferWriter<byte>(256);
        Encode(message, buffer);
        return buffer.WrittenSpan.ToArray();
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
    public static WireMessage Decode(FrameType type, ReadOnlyMemory<byte> body)
    {
        if (!CarriesMessage(type))
        {
            throw new ProtocolException(ProtocolErrorCode.UnexpectedFrameType, $"frame type 0x{(byte)type:x2} carries no message");
        }

        string name = type.ToString();
        return BodyReader.Guard(name, () =>
        {
            var reader = new BodyReader(body, name);
            int trailing = reader.ReadEnvelope(FieldCount(type));
            WireMessage message = type switch
            {
                FrameType.Hello => HelloMessage.Read(ref reader),
                FrameType.PeerList => PeerListMessage.Read(ref reader),
                FrameType.Have => HaveMessage.Read(ref reader),
                FrameType.Want => WantMessage.Read(ref reader),
                FrameType.DeltaManifest => DeltaManifestMessage.Read(ref reader),
                FrameType.DeltaChunk => DeltaChunkMessage.Read(ref reader),
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
