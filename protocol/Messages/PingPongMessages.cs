using FedMesh.Protocol.Messages.Internal;
using FedMesh.Protocol.Wire;
using MessagePack;

namespace FedMesh.Protocol.Messages;

/// <summary>Liveness probe (SPEC.md §4.8). Layout: [nonce u64]; the peer answers Pong with the same nonce.</summary>
public sealed record PingMessage(ulong Nonce) : WireMessage
{
    public override FrameType Type => FrameType.Ping;

    /// <summary>Fields of the v1 layout.</summary>
    internal const int Fields = 1;

    internal override int FieldCount => Fields;

    internal override void Validate()
    {
    }

    internal override void WriteFields(ref MessagePackWriter writer) => writer.Write(Nonce);

    internal static PingMessage Read(ref BodyReader reader) => new(reader.ReadUInt64("nonce"));
}

/// <summary>Answer to <see cref="PingMessage"/> (SPEC.md §4.8). Layout: [nonce u64].</summary>
public sealed record PongMessage(ulong Nonce) : WireMessage
{
    public override FrameType Type => FrameType.Pong;

    /// <summary>Fields of the v1 layout.</summary>
    internal const int Fields = 1;

    internal override int FieldCount => Fields;

    internal override void Validate()
    {
    }

    internal override void WriteFields(ref MessagePackWriter writer) => writer.Write(Nonce);

    internal static PongMessage Read(ref BodyReader reader) => new(reader.ReadUInt64("nonce"));
}
