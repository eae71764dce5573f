using FedMesh.Protocol.Wire;

namespace FedMesh.Protocol.Security.Internal;

/// <summary>The initiator's steps of SPEC.md §3.2 (message 1 out, message 2 in, message 3 out): the real handshake
/// (<see cref="HandshakeInitiator"/>) and the simulator's (<see cref="SimulatedHandshake.Initiator"/>) run the same
/// sequence of reads and writes in <see cref="Transport.SecureConnection"/>.</summary>
internal interface IHandshakeInitiator : IDisposable
{
    byte[] CreateInit();

    (byte[] Finish, HandshakeResult Result) ProcessResponse(FrameHeader header, ReadOnlySpan<byte> payload);
}

/// <summary>The responder's steps of SPEC.md §3.2 (message 1 in, message 2 out, message 3 in).</summary>
internal interface IHandshakeResponder : IDisposable
{
    byte[] ProcessInit(FrameHeader header, ReadOnlySpan<byte> payload);

    HandshakeResult ProcessFinish(FrameHeader header, ReadOnlySpan<byte> payload);
}
