using System.Buffers.Binary;
using FedMesh.Protocol.Messages;
using FedMesh.Protocol.Tests.Deltas;
using FedMesh.Protocol.Wire;
using NSec.Cryptography;

namespace FedMesh.Protocol.Tests.Messages;

/// <summary>Checks the code against the `hello` vector of SPEC.md §4.</summary>
public class MessageSpecVectorTests
{
    /// <summary>The Hello of SPEC §4.2's vector: key from seed 0x01..0x20, schema hash of the §1.2 example.</summary>
    internal static HelloMessage VectorHello() => new()
    {
        PublicKey = TestDeltas.KeyFromSeed(1).PublicKey.Export(KeyBlobFormat.RawPublicKey),
        Capabilities = ["relay"],
        MeshId = Enumerable.Repeat((byte)0x11, 32).ToArray(),
        BaseModelHash = Enumerable.Repeat((byte)0x22, 32).ToArray(),
        AdapterSchemaHash = SpecVectors.Bytes("adapter-schema", "hash"),
        ListenAddresses = ["192.0.2.1:7400"],
        SoftwareVersion = "fedmesh/0.1.0",
    };

    /// <summary>Plaintext frame per SPEC §2: version 1, type, u16 flags 0, u32 BE payload length, payload.</summary>
    internal static byte[] Frame(FrameType type, byte[] body)
    {
        byte[] frame = new byte[8 + body.Length];
        frame[0] = 1;
        frame[1] = (byte)type;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(4), (uint)body.Length);
        body.CopyTo(frame, 8);
        return frame;
    }

    [Fact]
    public void Hello_body_and_frame_match_the_spec_vector()
    {
        byte[] body = MessageCodec.Encode(VectorHello());
        Assert.Equal(SpecVectors.Text("hello", "public_key"), Convert.ToHexStringLower(VectorHello().PublicKey.Span));
        Assert.Equal(SpecVectors.Text("hello", "body"), Convert.ToHexStringLower(body));
        Assert.Equal(SpecVectors.Text("hello", "frame"), Convert.ToHexStringLower(Frame(FrameType.Hello, body)));
        Assert.Equal(body, MessageCodec.Encode(MessageCodec.Decode(FrameType.Hello, SpecVectors.Bytes("hello", "body"))));
    }
}
