using FedMesh.Protocol.Identity;
using FedMesh.Protocol.Wire;
using static FedMesh.Protocol.Security.Internal.HandshakeCrypto;

namespace FedMesh.Protocol.Security.Internal;

/// <summary>Responder side of SPEC.md §3.2, a pure state machine like <see cref="HandshakeInitiator"/>.</summary>
internal sealed class HandshakeResponder : IHandshakeResponder
{
    private readonly NodeIdentity _identity;
    private readonly HandshakeOptions _options;
    private readonly EphemeralKey _ephemeral;
    private byte[] _hash;
    private byte[] _initiatorEphemeral = [];
    private byte[] _handshakeKeys = [];
    private CipherSuite _suite;

    public HandshakeResponder(NodeIdentity identity, HandshakeOptions options, ReadOnlySpan<byte> ephemeralPrivateKey = default)
    {
        options.Validate();
        _identity = identity;
        _options = options;
        _ephemeral = new EphemeralKey(ephemeralPrivateKey);
        _hash = InitialHash(options.MeshId);
    }

    /// <summary>Processes message 1 and returns message 2 (the HandshakeResponse frame).</summary>
    public byte[] ProcessInit(FrameHeader header, ReadOnlySpan<byte> payload)
    {
        Expect(header, FrameType.HandshakeInit, InitPayloadLength);
        if (payload[0] != HandshakeVersion)
        {
            throw new ProtocolException(ProtocolErrorCode.UnsupportedVersion, $"handshake version {payload[0]} is not supported (this node speaks {HandshakeVersion})");
        }

        var offered = (CipherSuite)payload[1];
        if ((offered & CipherSuite.ChaCha20Poly1305) == 0)
        {
            throw new ProtocolException(ProtocolErrorCode.HandshakeFailed, $"initiator offers suites 0x{payload[1]:x2} without the mandatory ChaCha20-Poly1305");
        }

        _suite = CipherSuites.Choose(offered, _options.EffectiveSuites);
        _initiatorEphemeral = payload.Slice(2, KeyLength).ToArray();
        _hash = Mix(_hash, Header(FrameType.HandshakeInit, InitPayloadLength), payload);

        byte[] response = new byte[FrameHeader.Size + ResponsePayloadLength];
        new FrameHeader(FrameType.HandshakeResponse, ResponsePayloadLength).Write(response);
        Span<byte> body = response.AsSpan(FrameHeader.Size);
        body[0] = (byte)_suite;
        _ephemeral.PublicKey.CopyTo(body[1..]);
        byte[] h2 = Mix(_hash, response.AsSpan(0, FrameHeader.Size), body[..(1 + KeyLength)]);
        _handshakeKeys = Derive(_ephemeral.Agree(_initiatorEphemeral), h2, HandshakeKeysInfo);
        byte[] sealedResponder = SealIdentity(_handshakeKeys.AsSpan(0, KeyLength), h2, _identity, ResponderSignatureLabel);
        sealedResponder.CopyTo(body[(1 + KeyLength)..]);
        _hash = Mix(h2, sealedResponder, Header(FrameType.HandshakeFinish, FinishPayloadLength));
        return response;
    }

    /// <summary>Processes message 3; afterwards the initiator is authenticated and allowed.</summary>
    public HandshakeResult ProcessFinish(FrameHeader header, ReadOnlySpan<byte> payload)
    {
        if (_handshakeKeys.Length == 0)
        {
            throw new InvalidOperationException("ProcessInit must run first");
        }

        Expect(header, FrameType.HandshakeFinish, FinishPayloadLength);
        byte[] h3 = _hash;
        byte[] initiatorKey = OpenIdentity(_handshakeKeys.AsSpan(KeyLength), h3, payload, InitiatorSignatureLabel, "initiator");
        CheckAllowed(_options, initiatorKey, "initiator");
        byte[] h4 = Mix(h3, payload);
        byte[] traffic = Derive(_ephemeral.Agree(_initiatorEphemeral), h4, [.. TrafficKeysInfo, (byte)_suite]);
        Array.Clear(_handshakeKeys);
        var result = new HandshakeResult(false, initiatorKey, _suite, h4, traffic[KeyLength..], traffic[..KeyLength]);
        Array.Clear(traffic);
        return result;
    }

    public void Dispose() => _ephemeral.Dispose();
}
