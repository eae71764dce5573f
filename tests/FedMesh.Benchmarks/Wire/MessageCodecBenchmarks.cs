using BenchmarkDotNet.Attributes;
using FedMesh.Protocol.Messages;
using FedMesh.Protocol.Wire;

namespace FedMesh.Benchmarks.Wire;

/// <summary>Encode/decode cost of the message bodies of SPEC.md §4: a typical Hello, a Have, a 64-range Want
/// and a 1 MiB DeltaChunk (where the cost is the copy of the data).</summary>
[MemoryDiagnoser]
public class MessageCodecBenchmarks
{
    private readonly HelloMessage _hello = new()
    {
        PublicKey = new byte[32],
        Capabilities = ["relay", "fp16", "int8"],
        MeshId = new byte[32],
        BaseModelHash = new byte[32],
        AdapterSchemaHash = new byte[32],
        ListenAddresses = ["192.0.2.1:7400", "[2001:db8::1]:7400"],
        SoftwareVersion = "fedmesh/0.1.0",
    };

    private readonly HaveMessage _have = new(new byte[32], new byte[32], 42, 4 << 20, 4);

    private readonly WantMessage _want = new(new byte[32], false, Enumerable.Range(0, 64).Select(i => new ChunkRange((uint)(i * 3), 2)).ToArray());

    private readonly DeltaChunkMessage _chunk = new(new byte[32], 3, new byte[1 << 20]);

    private byte[] _helloBody = null!, _haveBody = null!, _wantBody = null!, _chunkBody = null!;

    [GlobalSetup]
    public void Setup()
    {
        _helloBody = MessageCodec.Encode(_hello);
        _haveBody = MessageCodec.Encode(_have);
        _wantBody = MessageCodec.Encode(_want);
        _chunkBody = MessageCodec.Encode(_chunk);
    }

    [Benchmark]
    public byte[] Encode_Hello() => MessageCodec.Encode(_hello);

    [Benchmark]
    public WireMessage Decode_Hello() => MessageCodec.Decode(FrameType.Hello, _helloBody);

    [Benchmark]
    public byte[] Encode_Have() => MessageCodec.Encode(_have);

    [Benchmark]
    public WireMessage Decode_Have() => MessageCodec.Decode(FrameType.Have, _haveBody);

    [Benchmark]
    public WireMessage Decode_Want_64_ranges() => MessageCodec.Decode(FrameType.Want, _wantBody);

    [Benchmark]
    public byte[] Encode_DeltaChunk_1MiB() => MessageCodec.Encode(_chunk);

    [Benchmark]
    public WireMessage Decode_DeltaChunk_1MiB() => MessageCodec.Decode(FrameType.DeltaChunk, _chunkBody);
}
