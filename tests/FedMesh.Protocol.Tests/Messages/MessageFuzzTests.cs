using FedMesh.Protocol.Deltas;
using FedMesh.Protocol.Messages;
using FedMesh.Protocol.Tests.Deltas;
using FedMesh.Protocol.Wire;

namespace FedMesh.Protocol.Tests.Messages;

/// <summary>
/// Seeded fuzzing of every decoder that reads network bytes: random bodies and mutations of valid encodings
/// (bit flips, truncation, inflated length/count fields, deep nesting, spliced garbage). The only acceptable
/// outcomes are a decoded value or <see cref="ProtocolException"/>; allocation per decode stays bounded.
/// </summary>
public class MessageFuzzTests
{
    private const int Iterations = 100_000;

    /// <summary>Allocation allowed per decode: generous for records and strings of a ≤ few-KiB body, far below
    /// what trusting an inflated 4 GiB length field would allocate.</summary>
    private const long MaxAllocationPerDecode = 256 * 1024;

    private static readonly FrameType[] Types = Enumerable.Range((int)FrameType.Hello, 10).Select(i => (FrameType)i).ToArray();

    [Fact]
    public void Random_and_mutated_bodies_only_ever_raise_protocol_exceptions_with_bounded_allocation()
    {
        var rng = new Random(20261124);
        (SignedDelta delta, byte[] payload) = TestDeltas.Signed(TestDeltas.KeyFromSeed(1));
        var seeds = new List<(FrameType Type, byte[] Body)>();
        foreach (WireMessage m in SampleMessages.All())
        {
            seeds.Add((m.Type, MessageCodec.Encode(m)));
        }

        seeds.Add((FrameType.DeltaManifest, delta.Body));
        seeds.Add((FrameType.DeltaChunk, MessageCodec.Encode(delta.Chunk(payload, 0))));
        byte[] manifestBytes = delta.Message.Manifest.ToArray();

        int decoded = 0, rejected = 0;
        long worstAllocation = 0;
        for (int i = 0; i < Iterations; i++)
        {
            bool manifest = i % 10 == 9;
            (FrameType type, byte[] seed) = manifest ? (FrameType.DeltaManifest, manifestBytes) : seeds[rng.Next(seeds.Count)];
            byte[] body = Mutate(rng, seed);
            if (rng.Next(8) == 0)
            {
                type = Types[rng.Next(Types.Length)]; // a valid body under the wrong frame type
            }

            long before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                if (manifest)
                {
                    _ = DeltaManifest.Decode(body);
                }
                else
                {
                    _ = MessageCodec.Decode(type, body);
                }

                decoded++;
            }
            catch (ProtocolException e)
            {
                Assert.True(e.Code is ProtocolErrorCode.MalformedMessage, $"iteration {i}: unexpected code {e.Code}");
                rejected++;
            }
            catch (Exception e)
            {
                Assert.Fail($"iteration {i} ({type}, body {Convert.ToHexStringLower(body.AsSpan(0, Math.Min(body.Length, 64)))}): {e.GetType().Name}: {e.Message}");
            }

            worstAllocation = Math.Max(worstAllocation, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        Assert.True(worstAllocation <= MaxAllocationPerDecode, $"a decode allocated {worstAllocation} bytes");
        // Both outcomes occur: the mutations are neither all fatal nor all harmless.
        Assert.True(rejected > Iterations / 2, $"rejected {rejected}");
        Assert.True(decoded > 100, $"decoded {decoded}");
    }

    private static byte[] Mutate(Random rng, byte[] seed)
    {
        byte[] body = (byte[])seed.Clone();
        switch (rng.Next(7))
        {
            case 0: // bit flips
                for (int k = rng.Next(1, 9); k > 0; k--)
                {
                    body[rng.Next(body.Length)] ^= (byte)(1 << rng.Next(8));
                }

                return body;
            case 1: // truncation
                return body[..rng.Next(body.Length)];
            case 2: // inflate a length or count: overwrite a byte with a 32-bit header and huge length
                {
                    int at = rng.Next(body.Length);
                    byte[] codes = [0xdd, 0xdf, 0xc6, 0xdb, 0xc9]; // array32, map32, bin32, str32, ext32
                    byte[] header = [codes[rng.Next(codes.Length)], 0xff, 0xff, 0xff, (byte)rng.Next(256)];
                    return [.. body[..at], .. header, .. body[Math.Min(body.Length, at + 1)..]];
                }

            case 3: // deep nesting appended as trailing elements (header bumped to admit one more element)
                {
                    byte[] nest = Enumerable.Repeat((byte)(rng.Next(2) == 0 ? 0x91 : 0x81), rng.Next(1, 5000)).ToArray();
                    if (body[0] is >= 0x91 and < 0x9f)
                    {
                        body[0]++;
                    }

                    return [.. body, .. nest, 0xc0];
                }

            case 4: // random bytes
                {
                    byte[] random = new byte[rng.Next(0, 128)];
                    rng.NextBytes(random);
                    return random;
                }

            case 5: // splice random bytes into the middle
                {
                    byte[] junk = new byte[rng.Next(1, 16)];
                    rng.NextBytes(junk);
                    int at = rng.Next(body.Length);
                    return [.. body[..at], .. junk, .. body[at..]];
                }

            default: // set a byte to a boundary value
                body[rng.Next(body.Length)] = (byte)new[] { 0x00, 0x7f, 0x80, 0xc0, 0xc1, 0xff, 0xdc, 0xde }[rng.Next(8)];
                return body;
        }
    }
}
