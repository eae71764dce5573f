using System.Buffers;
using FedMesh.Protocol.Security;
using FedMesh.Protocol.Security.Internal;
using FedMesh.Protocol.Tests.Framing;

namespace FedMesh.Protocol.Tests.Security;

/// <summary>
/// The managed AEGIS-256 against libsodium's (the implementation the suite ran on before, through NSec): the same
/// bytes for every length around the block size and its multiples, whatever the pieces, and the same refusals.
/// </summary>
public class Aegis256Tests
{
    private static readonly byte[] Key = Enumerable.Range(0, 32).Select(i => (byte)(255 - (i * 5))).ToArray();

    /// <summary>Lengths around 0, one block, the head of a DeltaChunk (45 bytes) and several blocks.</summary>
    private static readonly int[] Lengths = [0, 1, 15, 16, 17, 31, 32, 33, 45, 47, 48, 63, 64, 100, 255, 256, 1000, 4099];

    /// <summary>Associated data lengths: none, a frame header (8), one block, a block and one.</summary>
    private static readonly int[] AdLengths = [0, 8, 16, 17];

    private static byte[] Bytes(int length, int seed)
    {
        byte[] data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    private static byte[] Nonce(int seed) => Bytes(CipherSuites.NonceSize(CipherSuite.Aegis256), seed);

    [SkippableFact]
    public void Sealing_matches_libsodium_byte_for_byte_however_the_plaintext_is_cut()
    {
        Skip.IfNot(Aegis256.IsSupported, "needs AES-NI");
        using var managed = new Aegis256(Key);
        using var sodium = new Aead.SodiumAead(CipherSuite.Aegis256, Key);
        foreach (int length in Lengths)
        {
            foreach (int adLength in AdLengths)
            {
                byte[] nonce = Nonce(length), ad = Bytes(adLength, 7), plain = Bytes(length, length + 1);
                byte[] expected = new byte[length + 32];
                sodium.Seal(nonce, plain, expected, ad);

                byte[] whole = new byte[length + 32];
                managed.Seal(nonce, plain, whole, ad);
                Assert.Equal(expected, whole);

                foreach (int cut in (int[])[0, 1, 5, 16, 45, length / 2, length])
                {
                    if (cut > length)
                    {
                        continue;
                    }

                    byte[] pieces = new byte[length + 32];
                    managed.Seal(nonce, plain.AsSpan(0, cut), plain.AsSpan(cut), pieces, ad);
                    Assert.True(expected.AsSpan().SequenceEqual(pieces), $"length {length}, ad {adLength}, cut at {cut}");
                }
            }
        }
    }

    [SkippableFact]
    public void Opening_from_any_segments_matches_libsodium_and_refuses_what_it_refuses()
    {
        Skip.IfNot(Aegis256.IsSupported, "needs AES-NI");
        using var managed = new Aegis256(Key);
        using var sodium = new Aead.SodiumAead(CipherSuite.Aegis256, Key);
        foreach (int length in Lengths)
        {
            byte[] nonce = Nonce(length + 3), ad = Bytes(8, 9), plain = Bytes(length, length);
            byte[] sealedBytes = new byte[length + 32];
            sodium.Seal(nonce, plain, sealedBytes, ad);

            byte[] single = new byte[length];
            Assert.True(managed.Open(nonce, sealedBytes, single, ad));
            Assert.Equal(plain, single);

            foreach (int[] cuts in (int[][])[[1], [7, 8, 9], [16, 33], [length / 3, length - 2], [length, length + 31], [length + 16]])
            {
                byte[] opened = new byte[length];
                Assert.True(managed.Open(nonce, Segments.Split(sealedBytes, cuts), opened, ad), $"length {length}, cuts {string.Join(",", cuts)}");
                Assert.Equal(plain, opened);
            }

            // Every flipped bit of ciphertext or tag, and a changed header, fail; the output is then all zero.
            for (int i = 0; i < sealedBytes.Length; i += Math.Max(1, sealedBytes.Length / 40))
            {
                byte[] bad = (byte[])sealedBytes.Clone();
                bad[i] ^= 0x10;
                byte[] opened = Enumerable.Repeat((byte)0xaa, length).ToArray();
                Assert.False(managed.Open(nonce, Segments.Split(bad, length / 2), opened, ad));
                Assert.False(sodium.Open(nonce, bad, new byte[length], ad));
                Assert.All(opened, b => Assert.Equal(0, b));
            }

            Assert.False(managed.Open(nonce, sealedBytes.AsSpan(0, 31), new byte[length], ad));
            Assert.False(managed.Open(nonce, Segments.Split(sealedBytes[..31], 5), new byte[length], ad));

            byte[] otherAd = (byte[])ad.Clone();
            otherAd[1] ^= 1;
            Assert.False(managed.Open(nonce, sealedBytes, new byte[length], otherAd));
        }
    }

    [SkippableFact]
    public void A_frame_sealed_in_pieces_opens_from_split_segments_through_the_frame_protector()
    {
        Skip.IfNot(Aegis256.IsSupported, "needs AES-NI");
        using var sender = new FrameProtector(CipherSuite.Aegis256, Key);
        using var receiver = new FrameProtector(CipherSuite.Aegis256, Key);
        byte[] head = Bytes(45, 1), data = Bytes(1 << 20, 2);
        byte[] frame = new byte[Wire.FrameHeader.Size + head.Length + data.Length + sender.TagSize];
        Assert.Equal(frame.Length, sender.Seal(Wire.FrameType.DeltaChunk, head, data, frame));

        Wire.FrameHeader header = Wire.FrameHeader.Parse(frame);
        ReadOnlySequence<byte> payload = Segments.Split(frame[Wire.FrameHeader.Size..], 65_536, 65_541, 700_001);
        byte[] body = new byte[head.Length + data.Length];
        Assert.Equal(body.Length, receiver.Open(header, payload, body));
        Assert.Equal(head.Concat(data).ToArray(), body);
    }
}
