using FedMesh.Protocol.Security;
using FedMesh.Protocol.Security.Internal;
using FedMesh.Protocol.Wire;

namespace FedMesh.Protocol.Tests.Security;

/// <summary>
/// The three suites of SPEC.md §3.4: the responder's choice, each suite's sizes, the channel vectors of §3.5
/// byte for byte, and AEGIS-256 against the CFRG draft's own known answers (so "AEGIS-256" in SPEC.md means the
/// draft's algorithm with its 256-bit tag, whatever library runs it).
/// </summary>
public sealed class CipherSuiteTests
{
    private static readonly CipherSuite All = CipherSuite.ChaCha20Poly1305 | CipherSuite.Aes256Gcm | CipherSuite.Aegis256;

    public static TheoryData<string, CipherSuite> ChannelVectors() => new()
    {
        { "channel-chacha20poly1305", CipherSuite.ChaCha20Poly1305 },
        { "channel-aes256gcm", CipherSuite.Aes256Gcm },
        { "channel-aegis256", CipherSuite.Aegis256 },
    };

    [Fact]
    public void The_responder_picks_AEGIS_then_AES_GCM_then_ChaCha_among_what_both_offer()
    {
        Assert.Equal(CipherSuite.Aegis256, CipherSuites.Choose(All, All));
        Assert.Equal(CipherSuite.Aes256Gcm, CipherSuites.Choose(CipherSuite.ChaCha20Poly1305 | CipherSuite.Aes256Gcm, All));
        Assert.Equal(CipherSuite.Aes256Gcm, CipherSuites.Choose(All, CipherSuite.ChaCha20Poly1305 | CipherSuite.Aes256Gcm));
        Assert.Equal(CipherSuite.ChaCha20Poly1305, CipherSuites.Choose(CipherSuite.ChaCha20Poly1305 | CipherSuite.Aegis256, CipherSuite.ChaCha20Poly1305 | CipherSuite.Aes256Gcm));
        Assert.Equal(CipherSuite.ChaCha20Poly1305, CipherSuites.Choose(CipherSuite.ChaCha20Poly1305 | (CipherSuite)0xf8, All));
    }

    [Fact]
    public void Each_suite_has_its_nonce_and_tag_length_and_only_single_defined_bits_are_suites()
    {
        Assert.Equal((12, 16), (CipherSuites.NonceSize(CipherSuite.ChaCha20Poly1305), CipherSuites.TagSize(CipherSuite.ChaCha20Poly1305)));
        Assert.Equal((12, 16), (CipherSuites.NonceSize(CipherSuite.Aes256Gcm), CipherSuites.TagSize(CipherSuite.Aes256Gcm)));
        Assert.Equal((32, 32), (CipherSuites.NonceSize(CipherSuite.Aegis256), CipherSuites.TagSize(CipherSuite.Aegis256)));
        Assert.Equal(CipherSuites.MaxTagSize, FrameLimits.AeadTagSize);
        Assert.False(CipherSuites.IsSingle(CipherSuite.None));
        Assert.False(CipherSuites.IsSingle(CipherSuite.ChaCha20Poly1305 | CipherSuite.Aegis256));
        Assert.False(CipherSuites.IsSingle((CipherSuite)0x08));
        Assert.Throws<ArgumentOutOfRangeException>(() => CipherSuites.TagSize(CipherSuite.Aes256Gcm | CipherSuite.Aegis256));
    }

    [Theory]
    [MemberData(nameof(ChannelVectors))]
    public void The_channel_vectors_of_SPEC_seal_and_open_byte_for_byte(string vector, CipherSuite suite)
    {
        // No skip without AES instructions: the libraries still run every suite (in software), the node just does
        // not offer the AES-based ones then (CipherSuites.Supported).
        Assert.Equal((byte)suite, SpecVectors.Bytes(vector, "suite")[0]);
        byte[] key = SpecVectors.Bytes(vector, "key");
        using var sender = new FrameProtector(suite, key);
        using var receiver = new FrameProtector(suite, key);
        foreach (string frameName in new[] { "frame0", "frame1" })
        {
            var type = (FrameType)SpecVectors.Bytes(vector, frameName + "_type")[0];
            byte[] body = SpecVectors.Bytes(vector, frameName + "_body");
            byte[] frame = new byte[FrameHeader.Size + body.Length + sender.TagSize];
            sender.Seal(type, body, frame);
            Assert.Equal(SpecVectors.Text(vector, frameName), Convert.ToHexStringLower(frame));

            byte[] expected = SpecVectors.Bytes(vector, frameName);
            byte[] payload = expected[FrameHeader.Size..];
            int length = receiver.OpenInPlace(FrameHeader.Parse(expected), payload);
            Assert.Equal(body, payload[..length]);
        }
    }

    [Theory]
    [InlineData("00000000000000000000000000000000", "754fc3d8c973246dcc6d741412a4b236", "1181a1d18091082bf0266f66297d167d2e68b845f61a3b0527d31fc7b7b89f13")]
    [InlineData("", "", "6a348c930adbd654896e1666aad67de989ea75ebaa2b82fb588977b1ffec864a")]
    public void AEGIS_256_matches_the_CFRG_draft_known_answers(string message, string ciphertext, string tag)
    {
        // draft-irtf-cfrg-aegis-aead, AEGIS-256 test vectors 1 and 2 (256-bit tag).
        byte[] key = Convert.FromHexString("1001000000000000000000000000000000000000000000000000000000000000");
        byte[] nonce = Convert.FromHexString("1000020000000000000000000000000000000000000000000000000000000000");
        byte[] plain = Convert.FromHexString(message);

        // What the suite runs on here (the managed AEGIS-256 on AES-NI), and libsodium's, its fallback elsewhere.
        using Aead chosen = Aead.Create(CipherSuite.Aegis256, key);
        using var sodium = new Aead.SodiumAead(CipherSuite.Aegis256, key);
        foreach (Aead aead in (Aead[])[chosen, sodium])
        {
            byte[] sealedOutput = new byte[plain.Length + aead.TagSize];
            aead.Seal(nonce, plain, sealedOutput, []);
            Assert.Equal(ciphertext + tag, Convert.ToHexStringLower(sealedOutput));

            byte[] back = new byte[plain.Length];
            Assert.True(aead.Open(nonce, sealedOutput, back, []));
            Assert.Equal(plain, back);
            sealedOutput[^1] ^= 0x80;
            Assert.False(aead.Open(nonce, sealedOutput, back, []));
        }
    }
}
