using FedMesh.Protocol.Messages.Internal;
using FedMesh.Protocol.Wire;
using MessagePack;

namespace FedMesh.Protocol.Messages;

/// <summary>Base of the liveness probe pair (SPEC.md §4.8). Layout: [nonce u64].</summary>
public abstract record NonceMessage(ulong Nonce) : WireMessage
{
    /// <summary>Fields of the v1 layout.</summary>
    internal const int Fields = 1;

    internal override int FieldCount => Fields;

    internal override void Validate()
    {
    }

    internal override void WriteFields(ref MessagePackWriter writer) => writer.Write(Nonce);

    private protected static ulong ReadNonce(ref BodyReader reader) => reader.ReadUInt64("nonce");
}

/// <summary>Liveness probe; the peer answers <see cref="PongMessage"/> with the same nonce.</summary>
public sealed record PingMessage(ulong Nonce) : NonceMessage(Nonce)
{
    public override FrameType Type => FrameType.Ping;

    internal static PingMessage Read(ref BodyReader reader) => new(ReadNonce(ref reader));
}

/// <summary>Answer to <see cref="PingMessage"/>.</summary>
public sealed record PongMessage(ulong Nonce) : NonceMessage(Nonce)
{
    public override FrameType Type => FrameType.Pong;

    internal static PongMessage Read(ref BodyReader reader) => new(ReadNonce(ref reader));
}
