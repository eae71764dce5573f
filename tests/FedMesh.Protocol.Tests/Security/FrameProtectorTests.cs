using FedMesh.Protocol.Security;
using FedMesh.Protocol.Security.Internal;
using FedMesh.Protocol.Wire;

namespace FedMesh.Protocol.Tests.Security;

public class FrameProtectorTests
{
    public static TheoryData<CipherSuite> Suites()
    {
        var data = new TheoryData<CipherSuite> { CipherSuite.ChaCha20Poly1305 };
        foreach (CipherSuite optional in (CipherSuite[])[CipherSuite.Aes256Gcm, CipherSuite.Aegis256])
        {
            if ((CipherSuites.Supported & optional) != 0)
            {
                data.Add(optional);
            }
        }

        return data;
    }

    private static readonly byte[] Key = Enumerable.Range(0, 32).Select(i => (byte)(i * 3)).ToArray();

    private static byte[] Seal(FrameProtector sender, FrameType type, byte[] body)
    {
        byte[] frame = new byte[FrameHeader.Size + body.Length + sender.TagSize];
        Assert.Equal(frame.Length, sender.Seal(type, body, frame));
        return frame;
    }

    private static byte[] Open(FrameProtector receiver, byte[] frame)
    {
        FrameHeader header = FrameHeader.Parse(frame);
        byte[] payload = frame[FrameHeader.Size..];
        int length = receiver.OpenInPlace(header, payload);
        return payload[..length];
    }

    [Theory]
    [MemberData(nameof(Suites))]
    public void The_frame_overhead_wire_counters_use_is_exactly_what_sealing_adds(CipherSuite suite)
    {
        using var sender = new FrameProtector(suite, Key);
        byte[] body = new byte[1000];
        byte[] frame = new byte[FrameHeader.Size + body.Length + CipherSuites.MaxTagSize];

        Assert.Equal(body.Length + CipherSuites.FrameOverhead(suite), sender.Seal(FrameType.DeltaChunk, body, frame));
        // AEGIS-256 carries a 32-byte tag: an overhead of header + 16 undercounted its frames.
        Assert.Equal(suite == CipherSuite.Aegis256 ? 40 : 24, CipherSuites.FrameOverhead(suite));
    }

    [Theory]
    [MemberData(nameof(Suites))]
    public void Frames_open_in_order_in_place(CipherSuite suite)
    {
        using var sender = new FrameProtector(suite, Key);
        using var receiver = new FrameProtector(suite, Key);
        for (int i = 0; i < 5; i++)
        {
            byte[] body = Enumerable.Range(0, 100 * i).Select(x => (byte)(x + i)).ToArray();
            Assert.Equal(body, Open(receiver, Seal(sender, FrameType.Have, body)));
        }
    }

    [Theory]
    [MemberData(nameof(Suites))]
    public void Replayed_reordered_and_tampered_frames_fail_with_DecryptFailed(CipherSuite suite)
    {
        using var sender = new FrameProtector(suite, Key);
        byte[] first = Seal(sender, FrameType.Have, [1, 2, 3]);
        byte[] second = Seal(sender, FrameType.Have, [4, 5, 6]);

        using (var replay = new FrameProtector(suite, Key))
        {
            Open(replay, first);
            Assert.Equal(ProtocolErrorCode.DecryptFailed, Assert.Throws<ProtocolException>(() => Open(replay, first)).Code);
        }

        using (var reorder = new FrameProtector(suite, Key))
        {
            Assert.Equal(ProtocolErrorCode.DecryptFailed, Assert.Throws<ProtocolException>(() => Open(reorder, second)).Code);
        }

        for (int i = 0; i < first.Length; i++)
        {
            byte[] bad = (byte[])first.Clone();
            bad[i] ^= 1;
            using var tamper = new FrameProtector(suite, Key);
            var e = Record.Exception(() => Open(tamper, bad));
            Assert.NotNull(e);
            Assert.IsType<ProtocolException>(e);
        }
    }

    [Fact]
    public void Changing_the_type_in_the_header_is_caught_by_the_tag()
    {
        using var sender = new FrameProtector(CipherSuite.ChaCha20Poly1305, Key);
        using var receiver = new FrameProtector(CipherSuite.ChaCha20Poly1305, Key);
        byte[] frame = Seal(sender, FrameType.Have, [1, 2, 3]);
        frame[1] = (byte)FrameType.Want;
        Assert.Equal(ProtocolErrorCode.DecryptFailed, Assert.Throws<ProtocolException>(() => Open(receiver, frame)).Code);
    }

    [Fact]
    public void Nonce_is_zero_bytes_then_the_big_endian_counter_at_each_suites_length()
    {
        byte[] nonce = new byte[CipherSuites.NonceSize(CipherSuite.Aes256Gcm)];
        FrameProtector.WriteNonce(0x0102030405060708, nonce);
        Assert.Equal("000000000102030405060708", Convert.ToHexStringLower(nonce));

        byte[] aegis = Enumerable.Repeat((byte)0xff, CipherSuites.NonceSize(CipherSuite.Aegis256)).ToArray();
        FrameProtector.WriteNonce(0x0102030405060708, aegis);
        Assert.Equal(new string('0', 48) + "0102030405060708", Convert.ToHexStringLower(aegis));
    }

    [Theory]
    [MemberData(nameof(Suites))]
    public void Each_suite_adds_its_own_tag_length_and_seals_in_place(CipherSuite suite)
    {
        using var sender = new FrameProtector(suite, Key);
        using var receiver = new FrameProtector(suite, Key);
        Assert.Equal(CipherSuites.TagSize(suite), sender.TagSize);
        byte[] body = Enumerable.Range(0, 300).Select(i => (byte)(i * 7)).ToArray();
        byte[] outOfPlace = Seal(sender, FrameType.Want, body);
        Assert.Equal(body.Length + sender.TagSize, FrameHeader.Parse(outOfPlace).PayloadLength);

        // The send path assembles the body inside the frame and seals it there.
        using var inPlaceSender = new FrameProtector(suite, Key);
        byte[] frame = new byte[outOfPlace.Length];
        body.CopyTo(frame, FrameHeader.Size);
        inPlaceSender.Seal(FrameType.Want, frame.AsSpan(FrameHeader.Size, body.Length), frame);
        Assert.Equal(outOfPlace, frame);
        Assert.Equal(body, Open(receiver, frame));
    }

    [Theory]
    [MemberData(nameof(Suites))]
    public void A_body_sealed_as_head_and_tail_is_the_joined_body_and_opens_from_split_segments(CipherSuite suite)
    {
        byte[] head = Enumerable.Range(0, 45).Select(i => (byte)(i * 11)).ToArray();
        byte[] tail = Enumerable.Range(0, 5000).Select(i => (byte)(i * 13)).ToArray();
        using var joinedSender = new FrameProtector(suite, Key);
        byte[] expected = Seal(joinedSender, FrameType.DeltaChunk, [.. head, .. tail]);

        using var sender = new FrameProtector(suite, Key);
        byte[] frame = new byte[expected.Length];
        Assert.Equal(frame.Length, sender.Seal(FrameType.DeltaChunk, head, tail, frame));
        Assert.Equal(expected, frame);

        // As the read loop gets a frame from the pipe: in segments cut anywhere, the tag split too. The buffer
        // holds the whole payload, as the read loop rents it (suites that cannot read pieces join them there).
        using var receiver = new FrameProtector(suite, Key);
        byte[] payload = frame[FrameHeader.Size..];
        byte[] body = new byte[payload.Length];
        int length = receiver.Open(FrameHeader.Parse(frame), Framing.Segments.Split(payload, 3, 45, 4000, payload.Length - 5), body);
        Assert.Equal([.. head, .. tail], body[..length]);

        payload[100] ^= 1;
        using var tampered = new FrameProtector(suite, Key);
        Assert.Equal(ProtocolErrorCode.DecryptFailed,
            Assert.Throws<ProtocolException>(() => tampered.Open(FrameHeader.Parse(frame), Framing.Segments.Split(payload, 64), new byte[payload.Length])).Code);
    }

    [Fact]
    public void The_libsodium_ChaCha_fallback_matches_the_OpenSSL_one_byte_for_byte()
    {
        byte[] nonce = new byte[12];
        nonce[11] = 5;
        byte[] ad = [1, 2, 3];
        byte[] plain = Enumerable.Range(0, 1000).Select(i => (byte)i).ToArray();
        using Aead openSsl = Aead.Create(CipherSuite.ChaCha20Poly1305, Key);
        using var sodium = new Aead.SodiumAead(CipherSuite.ChaCha20Poly1305, Key);
        byte[] s1 = new byte[plain.Length + 16], s2 = new byte[plain.Length + 16];
        openSsl.Seal(nonce, plain, s1, ad);
        sodium.Seal(nonce, plain, s2, ad);
        Assert.Equal(s1, s2);
        byte[] back = new byte[plain.Length];
        Assert.True(sodium.Open(nonce, s1, back, ad));
        Assert.Equal(plain, back);
        s1[^16] ^= 1;
        Assert.False(sodium.Open(nonce, s1, back, ad));
    }
}
