using FedMesh.Protocol.Identity;
using FedMesh.Protocol.Wire;
using static FedMesh.Protocol.Security.Internal.HandshakeCrypto;

namespace FedMesh.Protocol.Security.Internal;

/// <summary>
/// The handshake of a simulated channel (<see cref="Transport.ConnectionOptions.SimulatedCrypto"/>): the three frames of
/// SPEC.md §3.2 with their real types and lengths, carrying the static public keys in the clear instead of ephemeral
/// keys, sealed identities and signatures, so no X25519, Ed25519 or AEAD runs and a simulator's byte counts stay the
/// real ones. It proves nothing about who is on the other side; it still applies the mesh id, the pinned key and the
/// allowlist to the key each side names, so a simulation exercises those paths.
/// <list type="bullet">
/// <item>Init: <see cref="Version"/> ‖ offered suites ‖ initiator public key (the real layout, another version byte).</item>
/// <item>Response: chosen suite ‖ responder public key ‖ h0 (the mesh's initial hash, §3.2) ‖ zeros.</item>
/// <item>Finish: h0 ‖ zeros.</item>
/// </list>
/// A real node answers the Init's version with UnsupportedVersion and a simulated one answers a real Init the same way,
/// so the two never complete a handshake with each other.
/// </summary>
internal static class SimulatedHandshake
{
    /// <summary>The Init's version byte: not a version a real node speaks (those count up from 1).</summary>
    public const byte Version = 0xF1;

    /// <summary>The initiator: Init out, Response checked (suite, mesh, pin, allowlist), Finish out.</summary>
    public sealed class Initiator(NodeIdentity identity, HandshakeOptions options, ReadOnlyMemory<byte>? pinnedResponderKey) : IHandshakeInitiator
    {
        public byte[] CreateInit()
        {
            byte[] frame = Frame(FrameType.HandshakeInit, InitPayloadLength, out Span<byte> body);
            body[0] = Version;
            body[1] = (byte)options.EffectiveSuites;
            identity.PublicKey.CopyTo(body[2..]);
            return frame;
        }

        public (byte[] Finish, HandshakeResult Result) ProcessResponse(FrameHeader header, ReadOnlySpan<byte> payload)
        {
            Expect(header, FrameType.HandshakeResponse, ResponsePayloadLength);
            var suite = (CipherSuite)payload[0];
            if (!CipherSuites.IsSingle(suite) || (suite & options.EffectiveSuites) == 0)
            {
                throw new ProtocolException(ProtocolErrorCode.HandshakeFailed, $"responder chose cipher suite 0x{payload[0]:x2}, which was not offered");
            }

            byte[] h0 = InitialHash(options.MeshId);
            CheckMesh(h0, payload.Slice(1 + KeyLength, HashLength), "responder");
            byte[] responderKey = payload.Slice(1, KeyLength).ToArray();
            if (pinnedResponderKey is { } pin && !responderKey.AsSpan().SequenceEqual(pin.Span))
            {
                throw new ProtocolException(ProtocolErrorCode.HandshakeFailed,
                    $"responder is {PeerId.FromPublicKey(responderKey)}, not the pinned peer {PeerId.FromPublicKey(pin.Span)}");
            }

            CheckAllowed(options, responderKey, "responder");
            byte[] finish = Frame(FrameType.HandshakeFinish, FinishPayloadLength, out Span<byte> body);
            h0.CopyTo(body);
            return (finish, Result(isInitiator: true, responderKey, suite));
        }

        public void Dispose()
        {
        }
    }

    /// <summary>The responder: Init read and answered; the initiator's key is checked (mesh, allowlist) at the Finish.</summary>
    public sealed class Responder(NodeIdentity identity, HandshakeOptions options) : IHandshakeResponder
    {
        private byte[]? _initiatorKey;
        private CipherSuite _suite;

        public byte[] ProcessInit(FrameHeader header, ReadOnlySpan<byte> payload)
        {
            Expect(header, FrameType.HandshakeInit, InitPayloadLength);
            if (payload[0] != Version)
            {
                throw new ProtocolException(ProtocolErrorCode.UnsupportedVersion, $"handshake version {payload[0]} is not supported (this simulated channel speaks {Version})");
            }

            var offered = (CipherSuite)payload[1];
            _suite = CipherSuites.Choose(offered, options.EffectiveSuites);
            if (_suite == CipherSuite.None)
            {
                throw new ProtocolException(ProtocolErrorCode.HandshakeFailed, $"initiator offers suites 0x{payload[1]:x2}, none of which this node runs");
            }

            _initiatorKey = payload.Slice(2, KeyLength).ToArray();
            byte[] frame = Frame(FrameType.HandshakeResponse, ResponsePayloadLength, out Span<byte> body);
            body[0] = (byte)_suite;
            identity.PublicKey.CopyTo(body[1..]);
            InitialHash(options.MeshId).CopyTo(body[(1 + KeyLength)..]);
            return frame;
        }

        public HandshakeResult ProcessFinish(FrameHeader header, ReadOnlySpan<byte> payload)
        {
            byte[] initiatorKey = _initiatorKey ?? throw new InvalidOperationException("ProcessInit must run first");
            Expect(header, FrameType.HandshakeFinish, FinishPayloadLength);
            CheckMesh(InitialHash(options.MeshId), payload[..HashLength], "initiator");
            CheckAllowed(options, initiatorKey, "initiator");
            return Result(isInitiator: false, initiatorKey, _suite);
        }

        public void Dispose()
        {
        }
    }

    private static void CheckMesh(ReadOnlySpan<byte> expected, ReadOnlySpan<byte> received, string who)
    {
        if (!received.SequenceEqual(expected))
        {
            throw new ProtocolException(ProtocolErrorCode.HandshakeFailed, $"{who} belongs to another mesh");
        }
    }

    private static byte[] Frame(FrameType type, int payloadLength, out Span<byte> body)
    {
        byte[] frame = new byte[FrameHeader.Size + payloadLength];
        new FrameHeader(type, payloadLength).Write(frame);
        body = frame.AsSpan(FrameHeader.Size);
        return frame;
    }

    /// <summary>A session without keys or transcript (all zero): its frames are sealed by <see cref="PlaintextAead"/>.</summary>
    private static HandshakeResult Result(bool isInitiator, byte[] remoteKey, CipherSuite suite) =>
        new(isInitiator, remoteKey, suite, new byte[HashLength], new byte[KeyLength], new byte[KeyLength]) { Simulated = true };
}
