using FedMesh.Protocol.Identity;
using FedMesh.Protocol.Security;
using FedMesh.Protocol.Security.Internal;
using FedMesh.Protocol.Wire;

namespace FedMesh.Protocol.Tests.Security;

public class HandshakeTests
{
    private static FrameHeader HeaderOf(byte[] frame) => FrameHeader.Parse(frame);

    private static ReadOnlySpan<byte> PayloadOf(byte[] frame) => frame.AsSpan(FrameHeader.Size);

    /// <summary>Runs all three messages between fresh state machines.</summary>
    internal static (HandshakeResult Initiator, HandshakeResult Responder, byte[] Init, byte[] Response, byte[] Finish) Run(
        NodeIdentity initiator, NodeIdentity responder, HandshakeOptions? initiatorOptions = null, HandshakeOptions? responderOptions = null,
        byte[]? pin = null, byte[]? initiatorEphemeral = null, byte[]? responderEphemeral = null)
    {
        using var i = new HandshakeInitiator(initiator, initiatorOptions ?? HandshakeOptions.Default, pin is null ? default(ReadOnlyMemory<byte>?) : pin.AsMemory(), initiatorEphemeral);
        using var r = new HandshakeResponder(responder, responderOptions ?? HandshakeOptions.Default, responderEphemeral);
        byte[] init = i.CreateInit();
        byte[] response = r.ProcessInit(HeaderOf(init), PayloadOf(init));
        (byte[] finish, HandshakeResult initiatorResult) = i.ProcessResponse(HeaderOf(response), PayloadOf(response));
        HandshakeResult responderResult = r.ProcessFinish(HeaderOf(finish), PayloadOf(finish));
        return (initiatorResult, responderResult, init, response, finish);
    }

    [Fact]
    public void Handshake_vector_matches_the_spec()
    {
        const string v = "handshake";
        using NodeIdentity initiator = NodeIdentity.FromSeed(SpecVectors.Bytes(v, "initiator_seed"));
        using NodeIdentity responder = NodeIdentity.FromSeed(SpecVectors.Bytes(v, "responder_seed"));
        var options = new HandshakeOptions { MeshId = SpecVectors.Text(v, "mesh_id_text"), Suites = (CipherSuite)SpecVectors.Bytes(v, "offered_suites")[0] };
        var run = Run(initiator, responder, options, options,
            initiatorEphemeral: SpecVectors.Bytes(v, "initiator_ephemeral_private"), responderEphemeral: SpecVectors.Bytes(v, "responder_ephemeral_private"));

        Assert.Equal(SpecVectors.Text(v, "init"), Convert.ToHexStringLower(run.Init));
        Assert.Equal(SpecVectors.Text(v, "response"), Convert.ToHexStringLower(run.Response));
        Assert.Equal(SpecVectors.Text(v, "finish"), Convert.ToHexStringLower(run.Finish));
        Assert.Equal(SpecVectors.Text(v, "transcript_hash"), Convert.ToHexStringLower(run.Initiator.TranscriptHash.Span));
        Assert.Equal(SpecVectors.Text(v, "key_i2r"), Convert.ToHexStringLower(run.Initiator.SendKey));
        Assert.Equal(SpecVectors.Text(v, "key_r2i"), Convert.ToHexStringLower(run.Initiator.ReceiveKey));

        using var sender = new FrameProtector(run.Initiator.Suite, run.Initiator.SendKey);
        byte[] body = SpecVectors.Bytes(v, "frame0_body");
        byte[] sealedFrame = new byte[FrameHeader.Size + body.Length + sender.TagSize];
        sender.Seal(FrameType.Hello, body, sealedFrame);
        Assert.Equal(SpecVectors.Text(v, "frame0"), Convert.ToHexStringLower(sealedFrame));
    }

    [Fact]
    public void Both_sides_agree_on_keys_transcript_and_each_others_identity()
    {
        using NodeIdentity a = NodeIdentity.Create();
        using NodeIdentity b = NodeIdentity.Create();
        var run = Run(a, b);
        Assert.Equal(run.Initiator.SendKey, run.Responder.ReceiveKey);
        Assert.Equal(run.Initiator.ReceiveKey, run.Responder.SendKey);
        Assert.NotEqual(run.Initiator.SendKey, run.Initiator.ReceiveKey);
        Assert.Equal(run.Initiator.TranscriptHash.ToArray(), run.Responder.TranscriptHash.ToArray());
        Assert.Equal(b.PeerId, run.Initiator.RemotePeerId);
        Assert.Equal(a.PeerId, run.Responder.RemotePeerId);
        Assert.Equal(CipherSuites.Choose(CipherSuites.Supported, CipherSuites.Supported), run.Initiator.Suite);
    }

    [Fact]
    public void ChaCha_is_chosen_when_the_initiator_offers_only_the_mandatory_suite()
    {
        using NodeIdentity a = NodeIdentity.Create();
        using NodeIdentity b = NodeIdentity.Create();
        var run = Run(a, b, new HandshakeOptions { Suites = CipherSuite.ChaCha20Poly1305 });
        Assert.Equal(CipherSuite.ChaCha20Poly1305, run.Responder.Suite);
        Assert.Equal(run.Initiator.SendKey, run.Responder.ReceiveKey);
    }

    [Fact]
    public void A_peer_that_offers_AES_GCM_but_not_AEGIS_gets_AES_GCM_and_peers_with_both_get_AEGIS()
    {
        using NodeIdentity a = NodeIdentity.Create();
        using NodeIdentity b = NodeIdentity.Create();
        var older = Run(a, b, new HandshakeOptions { Suites = CipherSuite.ChaCha20Poly1305 | CipherSuite.Aes256Gcm });
        Assert.Equal(CipherSuite.Aes256Gcm, older.Responder.Suite);
        Assert.Equal(CipherSuite.Aes256Gcm, older.Initiator.Suite);

        var both = Run(a, b, new HandshakeOptions { Suites = CipherSuite.ChaCha20Poly1305 | CipherSuite.Aes256Gcm | CipherSuite.Aegis256 });
        Assert.Equal(CipherSuite.Aegis256, both.Initiator.Suite);
        Assert.Equal(both.Initiator.SendKey, both.Responder.ReceiveKey);
    }

    [Fact]
    public void Different_mesh_ids_fail_the_handshake()
    {
        using NodeIdentity a = NodeIdentity.Create();
        using NodeIdentity b = NodeIdentity.Create();
        var e = Assert.Throws<ProtocolException>(() => Run(a, b, new HandshakeOptions { MeshId = "lab-a" }, new HandshakeOptions { MeshId = "lab-b" }));
        Assert.Equal(ProtocolErrorCode.HandshakeFailed, e.Code);
    }

    [Fact]
    public void A_wrong_pinned_key_fails_the_handshake()
    {
        using NodeIdentity a = NodeIdentity.Create();
        using NodeIdentity b = NodeIdentity.Create();
        using NodeIdentity other = NodeIdentity.Create();
        var e = Assert.Throws<ProtocolException>(() => Run(a, b, pin: other.PublicKey.ToArray()));
        Assert.Equal(ProtocolErrorCode.HandshakeFailed, e.Code);
        Assert.Contains("pinned", e.Message, StringComparison.Ordinal);
        Run(a, b, pin: b.PublicKey.ToArray());
    }

    [Fact]
    public void Allowlists_refuse_unknown_peers_on_both_sides()
    {
        using NodeIdentity a = NodeIdentity.Create();
        using NodeIdentity b = NodeIdentity.Create();
        var onlyA = new HandshakeOptions { Allowlist = new HashSet<PeerId> { a.PeerId } };
        var onlyB = new HandshakeOptions { Allowlist = new HashSet<PeerId> { b.PeerId } };
        Assert.Equal(ProtocolErrorCode.NotAllowed, Assert.Throws<ProtocolException>(() => Run(a, b, responderOptions: onlyB)).Code);
        Assert.Equal(ProtocolErrorCode.NotAllowed, Assert.Throws<ProtocolException>(() => Run(a, b, initiatorOptions: onlyA)).Code);
        Run(a, b, onlyB, onlyA);
    }

    [Fact]
    public void Every_single_bit_flip_of_the_response_or_finish_is_rejected()
    {
        using NodeIdentity a = NodeIdentity.Create();
        using NodeIdentity b = NodeIdentity.Create();
        byte[] eph = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
        var run = Run(a, b, initiatorEphemeral: eph);
        for (int i = FrameHeader.Size; i < run.Response.Length; i++)
        {
            byte[] bad = (byte[])run.Response.Clone();
            bad[i] ^= 0x04;
            using var initiator = new HandshakeInitiator(a, HandshakeOptions.Default, null, eph);
            initiator.CreateInit();
            Assert.Throws<ProtocolException>(() => initiator.ProcessResponse(HeaderOf(bad), PayloadOf(bad)));
        }

        for (int i = FrameHeader.Size; i < run.Finish.Length; i += 7)
        {
            byte[] bad = (byte[])run.Finish.Clone();
            bad[i] ^= 0x80;
            using var responder = new HandshakeResponder(b, HandshakeOptions.Default);
            responder.ProcessInit(HeaderOf(run.Init), PayloadOf(run.Init));
            Assert.Equal(ProtocolErrorCode.HandshakeFailed, Assert.Throws<ProtocolException>(() => responder.ProcessFinish(HeaderOf(bad), PayloadOf(bad))).Code);
        }
    }

    [Fact]
    public void A_low_order_ephemeral_key_is_rejected()
    {
        using NodeIdentity b = NodeIdentity.Create();
        using var responder = new HandshakeResponder(b, HandshakeOptions.Default);
        byte[] init = new byte[FrameHeader.Size + HandshakeCrypto.InitPayloadLength];
        new FrameHeader(FrameType.HandshakeInit, HandshakeCrypto.InitPayloadLength).Write(init);
        init[FrameHeader.Size] = 1;
        init[FrameHeader.Size + 1] = (byte)CipherSuite.ChaCha20Poly1305;
        var e = Assert.Throws<ProtocolException>(() => responder.ProcessInit(HeaderOf(init), PayloadOf(init)));
        Assert.Equal(ProtocolErrorCode.HandshakeFailed, e.Code);
    }

    [Fact]
    public void An_init_without_the_mandatory_suite_or_with_another_version_is_rejected()
    {
        using NodeIdentity a = NodeIdentity.Create();
        using NodeIdentity b = NodeIdentity.Create();
        using var initiator = new HandshakeInitiator(a, HandshakeOptions.Default, null);
        byte[] init = initiator.CreateInit();
        byte[] noChaCha = (byte[])init.Clone();
        noChaCha[FrameHeader.Size + 1] = (byte)CipherSuite.Aes256Gcm;
        byte[] version2 = (byte[])init.Clone();
        version2[FrameHeader.Size] = 2;
        using var r1 = new HandshakeResponder(b, HandshakeOptions.Default);
        Assert.Equal(ProtocolErrorCode.HandshakeFailed, Assert.Throws<ProtocolException>(() => r1.ProcessInit(HeaderOf(noChaCha), PayloadOf(noChaCha))).Code);
        using var r2 = new HandshakeResponder(b, HandshakeOptions.Default);
        Assert.Equal(ProtocolErrorCode.UnsupportedVersion, Assert.Throws<ProtocolException>(() => r2.ProcessInit(HeaderOf(version2), PayloadOf(version2))).Code);
    }
}
