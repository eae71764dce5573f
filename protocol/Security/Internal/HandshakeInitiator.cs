using FedMesh.Protocol.Identity;
using FedMesh.Protocol.Wire;
using static FedMesh.Protocol.Security.Internal.HandshakeCrypto;

namespace FedMesh.Protocol.Security.Internal;

/// <summary>
/// Initiator side of SPEC.md §3.2 as a pure message-in/message-out state machine (no I/O), so the test vectors
/// can drive it with fixed ephemeral keys.
/// </summary>
internal sealed class HandshakeInitiator : IHandshakeInitiator
{
    private readonly NodeIdentity _identity;
    private readonly HandshakeOptions _options;
    private readonly byte[]? _pinnedResponderKey;
    private readonly EphemeralKey _ephemeral;
    private byte[] _hash;
    private CipherSuite _offered;

    public HandshakeInitiator(NodeIdentity identity, HandshakeOptions options, ReadOnlyMemory<byte>? pinnedResponderKey, ReadOnlySpan<byte> ephemeralPrivateKey = default)
    {
        options.Validate();
        if (pinnedResponderKey is { Length: not PeerId.PublicKeyLength } pin)
        {
            throw new ArgumentException($"a pinned key is {PeerId.PublicKeyLength} bytes, got {pin.Length}", nameof(pinnedResponderKey));
        }

        _identity = identity;
        _options = options;
        _pinnedResponderKey = pinnedResponderKey?.ToArray();
        _ephemeral = new EphemeralKey(ephemeralPrivateKey);
        _hash = InitialHash(options.MeshId);
    }

    /// <summary>Message 1: the HandshakeInit frame.</summary>
    public byte[] CreateInit()
    {
        _offered = _options.EffectiveSuites;
        byte[] frame = new byte[FrameHeader.Size + InitPayloadLength];
        new FrameHeader(FrameType.HandshakeInit, InitPayloadLength).Write(frame);
        frame[FrameHeader.Size] = HandshakeVersion;
        frame[FrameHeader.Size + 1] = (byte)_offered;
        _ephemeral.PublicKey.CopyTo(frame, FrameHeader.Size + 2);
        _hash = Mix(_hash, frame);
        return frame;
    }

    /// <summary>Processes message 2 and returns message 3 (the HandshakeFinish frame) plus the session.</summary>
    public (byte[] Finish, HandshakeResult Result) ProcessResponse(FrameHeader header, ReadOnlySpan<byte> payload)
    {
        Expect(header, FrameType.HandshakeResponse, ResponsePayloadLength);
        var suite = (CipherSuite)payload[0];
        if (!CipherSuites.IsSingle(suite) || (suite & _offered) == 0)
        {
            throw new ProtocolException(ProtocolErrorCode.HandshakeFailed, $"responder chose cipher suite 0x{payload[0]:x2}, which was not offered");
        }

        ReadOnlySpan<byte> responderEphemeral = payload.Slice(1, KeyLength);
        byte[] h2 = Mix(_hash, Header(FrameType.HandshakeResponse, ResponsePayloadLength), payload[..(1 + KeyLength)]);
        byte[] handshakeKeys = Derive(_ephemeral.Agree(responderEphemeral), h2, HandshakeKeysInfo);
        ReadOnlySpan<byte> sealedResponder = payload[(1 + KeyLength)..];
        byte[] responderKey = OpenIdentity(handshakeKeys.AsSpan(0, KeyLength), h2, sealedResponder, ResponderSignatureLabel, "responder");
        if (_pinnedResponderKey is not null && !responderKey.AsSpan().SequenceEqual(_pinnedResponderKey))
        {
            throw new ProtocolException(ProtocolErrorCode.HandshakeFailed,
                $"responder is {PeerId.FromPublicKey(responderKey)}, not the pinned peer {PeerId.FromPublicKey(_pinnedResponderKey)}");
        }

        CheckAllowed(_options, responderKey, "responder");

        byte[] h3 = Mix(h2, sealedResponder, Header(FrameType.HandshakeFinish, FinishPayloadLength));
        byte[] sealedInitiator = SealIdentity(handshakeKeys.AsSpan(KeyLength), h3, _identity, InitiatorSignatureLabel);
        byte[] h4 = Mix(h3, sealedInitiator);
        byte[] traffic = Derive(_ephemeral.Agree(responderEphemeral), h4, [.. TrafficKeysInfo, (byte)suite]);
        Array.Clear(handshakeKeys);

        byte[] finish = new byte[FrameHeader.Size + FinishPayloadLength];
        new FrameHeader(FrameType.HandshakeFinish, FinishPayloadLength).Write(finish);
        sealedInitiator.CopyTo(finish, FrameHeader.Size);
        var result = new HandshakeResult(true, responderKey, suite, h4, traffic[..KeyLength], traffic[KeyLength..]);
        Array.Clear(traffic);
        return (finish, result);
    }

    public void Dispose() => _ephemeral.Dispose();
}
