using System.Buffers;
using BenchmarkDotNet.Attributes;
using FedMesh.Protocol.Security;
using FedMesh.Protocol.Security.Internal;

namespace FedMesh.Benchmarks.Transport;

/// <summary>
/// The AEGIS-256 work of one 1 MiB DeltaChunk frame on each side, the way the channel did it on libsodium (the
/// chunk's 45-byte head and its data copied together, then sealed in place; a frame straddling two pipe segments
/// copied whole, then opened in place) against the managed implementation's pieces (head and data sealed where they
/// lie; the segments opened where they lie). Throughput = 1 MiB / mean time.
/// </summary>
[MemoryDiagnoser]
public class ChunkPathBenchmarks
{
    private const int DataBytes = 1024 * 1024;

    /// <summary>A DeltaChunk head: array, 32-byte id, index, the data's bin32 header.</summary>
    private const int HeadBytes = 45;

    private readonly byte[] _key = new byte[32];
    private readonly byte[] _nonce = new byte[32];
    private readonly byte[] _ad = new byte[8];
    private readonly byte[] _head = new byte[HeadBytes];
    private readonly byte[] _data = new byte[DataBytes];
    private readonly byte[] _sealed = new byte[HeadBytes + DataBytes + 32];
    private readonly byte[] _plain = new byte[HeadBytes + DataBytes + 32];
    private ReadOnlySequence<byte> _split;
    private Aead.SodiumAead _sodium = null!;
    private Aegis256 _managed = null!;

    [GlobalSetup]
    public void Setup()
    {
        new Random(1).NextBytes(_data);
        _sodium = new Aead.SodiumAead(CipherSuite.Aegis256, _key);
        _managed = new Aegis256(_key);
        _managed.Seal(_nonce, _head, _data, _sealed, _ad);

        // Cut where a 1 MiB frame typically straddles two receive segments: somewhere in its middle.
        var first = new Segment(_sealed.AsMemory(0, 600_000));
        _split = new ReadOnlySequence<byte>(first, 0, first.Append(_sealed.AsMemory(600_000)), _sealed.Length - 600_000);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _sodium.Dispose();
        _managed.Dispose();
    }

    [Benchmark(Baseline = true)]
    public void Sodium_copy_head_and_data_then_seal_in_place()
    {
        _head.CopyTo(_sealed, 0);
        _data.CopyTo(_sealed, HeadBytes);
        _sodium.Seal(_nonce, _sealed.AsSpan(0, HeadBytes + DataBytes), _sealed, _ad);
    }

    [Benchmark]
    public void Managed_seal_head_and_data_where_they_lie() => _managed.Seal(_nonce, _head, _data, _sealed, _ad);

    [Benchmark]
    public bool Sodium_join_two_segments_then_open_in_place()
    {
        _split.CopyTo(_plain);
        return _sodium.Open(_nonce, _plain.AsSpan(0, _sealed.Length), _plain, _ad);
    }

    [Benchmark]
    public bool Managed_open_two_segments_where_they_lie() => _managed.Open(_nonce, _split, _plain, _ad);

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory) => Memory = memory;

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory) { RunningIndex = RunningIndex + Memory.Length };
            Next = next;
            return next;
        }
    }
}
