using FedMesh.Protocol;
using FedMesh.Protocol.Deltas;
using FedMesh.Protocol.Identity;
using FedMesh.Protocol.Messages;
using FedMesh.Protocol.Security;
using FedMesh.Protocol.Transport;
using FedMesh.Protocol.Wire;

namespace FedMesh.Node.Gossip.Bench;

/// <summary>
/// One run of <c>fedmesh-bench transfer</c>: median wall-clock seconds of each transfer, and the median process
/// CPU seconds spent during each (all threads: both ends, sockets, GC). On a shared machine the CPU figures are
/// the load-independent part: they say how many core-seconds per byte each path needs. The plain baseline copies
/// the delta's payload into a payload-sized buffer (<see cref="TransferProbe.PlainCopyAsync"/>); <paramref name="RawHotSeconds"/>
/// is the earlier baseline, one cache-hot megabyte re-sent into one sink (<see cref="TransferProbe.PlainAsync(long, TimeProvider?, CancellationToken)"/>).
/// </summary>
public sealed record TransferResult(long SizeBytes, double SecureSeconds, double RawSeconds, string Cipher, double SecureCpuSeconds = 0, double RawCpuSeconds = 0, double RawHotSeconds = 0)
{
    public double SecureMBps => SizeBytes / SecureSeconds / 1e6;

    public double RawMBps => SizeBytes / RawSeconds / 1e6;

    public double RawHotMBps => RawHotSeconds > 0 ? SizeBytes / RawHotSeconds / 1e6 : 0;

    public double Ratio => RawSeconds / SecureSeconds;
}

/// <summary>
/// Sends one signed delta of a given size through the secure channel over loopback TCP, exactly as a node serves it
/// (DeltaManifest then DeltaChunk messages), while the receiver verifies the manifest signature and every chunk's
/// BLAKE3 hash and reassembles the payload; in the same run, a plain socket copies the same bytes into a buffer.
/// Signing happens before the clock starts (a node signs once and serves many peers); verification is timed.
/// </summary>
public static class TransferBenchmark
{
    /// <summary>
    /// Untimed one-chunk transfers before measuring. The runtime recompiles a method optimised only after its 30th
    /// call at tier 0 and 30 more instrumented (tiered PGO), on a background thread; code that runs once per
    /// transfer (handshake, connection setup, manifest verification) needs about 60 transfers to get there.
    /// Without them that compiler thread kept one of the development VM's two cores busy through the timed runs
    /// (12 % of all CPU samples during 30 transfers of 64 MiB); a node that has run for a while pays this once.
    /// </summary>
    private const int WarmupTransfers = 64;

    /// <summary>
    /// What the secure side measures, printed in the JSON so figures are not read as something else. By default the
    /// receive loop is the daemon's: every frame decrypted by the read loop into a pooled buffer, decoded borrowed and
    /// handed to the <see cref="DeltaAssembler"/> (which copies and hashes it), as GossipEngine does. With
    /// <c>placedChunks</c> the benchmark sets <see cref="SecureConnection.ChunkSlots"/> itself so chunks are decrypted
    /// straight into the assembler's slots — a protocol-level path the daemon does not use yet.
    /// </summary>
    public const string DaemonReceivePath = "the daemon's: read loop decrypts into pooled buffers, DeltaAssembler copies and hashes";

    /// <summary>See <see cref="DaemonReceivePath"/>.</summary>
    public const string PlacedReceivePath = "placed chunks (SecureConnection.ChunkSlots set by the benchmark; the daemon does not use them yet)";

    /// <summary>Size of the warm-up deltas: one chunk, so the 64 of them take well under a second.</summary>
    private const int WarmupBytes = 64 * 1024;

    /// <param name="warmupTransfers">Untimed one-chunk transfers first (default <see cref="WarmupTransfers"/>; tests
    /// that only check the path pass fewer).</param>
    /// <param name="suites">Suites both ends offer (<see cref="CipherSuite.None"/>: the defaults, so the handshake picks
    /// what two nodes on this machine would); ChaCha20-Poly1305 is always among them.</param>
    public static async Task<TransferResult> RunAsync(long sizeBytes, int repeats, CancellationToken cancellationToken, int warmupTransfers = WarmupTransfers,
        CipherSuite suites = CipherSuite.None, bool placedChunks = false)
    {
        if (sizeBytes < 4 || sizeBytes > (long)DeltaLimits.MaxTotalSize)
        {
            throw new ArgumentOutOfRangeException(nameof(sizeBytes), $"size must be 4 bytes .. {DeltaLimits.MaxTotalSize / (1 << 20)} MiB");
        }

        ConnectionOptions options = LoopbackSecurePair.OptionsOffering(suites);
        using NodeIdentity origin = NodeIdentity.Create();
        (SignedDelta delta, ReadOnlyMemory<byte> payload, LocalMesh local) = Signed(origin, sizeBytes);
        (SignedDelta small, ReadOnlyMemory<byte> smallPayload, LocalMesh smallLocal) = Signed(origin, WarmupBytes);
        byte[] copy = new byte[payload.Length];
        for (int i = 0; i < warmupTransfers; i++)
        {
            await TransferProbe.PlainCopyAsync(smallPayload, copy.AsMemory(0, smallPayload.Length), cancellationToken: cancellationToken).ConfigureAwait(false);
            await SecureOnceAsync(small, smallPayload, smallLocal, options, placedChunks, cancellationToken).ConfigureAwait(false);
        }

        // One untimed full-size run of each: pooled buffers and socket memory are then as warm as in a running node.
        await TransferProbe.PlainCopyAsync(payload, copy, cancellationToken: cancellationToken).ConfigureAwait(false);
        await TransferProbe.PlainAsync(payload.Length, cancellationToken: cancellationToken).ConfigureAwait(false);
        await SecureOnceAsync(delta, payload, local, options, placedChunks, cancellationToken).ConfigureAwait(false);
        await WaitForBackgroundCompilationAsync(cancellationToken).ConfigureAwait(false);

        var secure = new List<double>();
        var raw = new List<double>();
        var rawHot = new List<double>();
        var secureCpu = new List<double>();
        var rawCpu = new List<double>();
        string cipher = string.Empty;
        for (int r = 0; r < repeats; r++)
        {
            // Alternate the paths so load changes on this machine hit all alike.
            Settle();
            TimeSpan cpu = Environment.CpuUsage.TotalTime;
            raw.Add((await TransferProbe.PlainCopyAsync(payload, copy, cancellationToken: cancellationToken).ConfigureAwait(false)).Elapsed.TotalSeconds);
            rawCpu.Add((Environment.CpuUsage.TotalTime - cpu).TotalSeconds);
            Settle();
            (double seconds, double cpuSeconds, string suite) = await SecureOnceAsync(delta, payload, local, options, placedChunks, cancellationToken).ConfigureAwait(false);
            secure.Add(seconds);
            secureCpu.Add(cpuSeconds);
            cipher = suite;
            Settle();
            rawHot.Add((await TransferProbe.PlainAsync(payload.Length, cancellationToken: cancellationToken).ConfigureAwait(false)).Elapsed.TotalSeconds);
        }

        return new TransferResult(payload.Length, Median(secure), Median(raw), cipher, Median(secureCpu), Median(rawCpu), Median(rawHot));
    }

    /// <summary>
    /// A full, blocking collection before each timed transfer (as BenchmarkDotNet forces before each iteration), so
    /// every transfer starts from the same heap instead of inheriting the previous one's 64 MiB garbage. Without it
    /// the runtime sometimes reused the freed payload's pages for the next assembly buffer and sometimes took fresh
    /// ones: `perf stat` counted 0.9k–16.5k first-touch page faults per repeat between otherwise identical runs
    /// (~2 µs each), which swung the secure path's CPU per 64 MiB by ~50 ms; with it, ~1.8k. Fresh-page faults
    /// are a real cost of a node that receives many large deltas; this keeps them from deciding the comparison.
    /// </summary>
    private static void Settle()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    /// <summary>A signed delta of one float32 tensor of <paramref name="sizeBytes"/> bytes, and the mesh that accepts it.</summary>
    private static (SignedDelta Delta, ReadOnlyMemory<byte> Payload, LocalMesh Local) Signed(NodeIdentity origin, long sizeBytes)
    {
        byte[] meshId = new byte[32];
        byte[] baseHash = new byte[32];
        meshId.AsSpan().Fill(0x11);
        baseHash.AsSpan().Fill(0x22);
        var schema = new AdapterSchema([new TensorInfo("bench.delta", [(int)(sizeBytes / sizeof(float))])]);
        float[] values = new float[schema.TotalElements];
        var random = new Random(1);
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (float)(random.NextDouble() - 0.5);
        }

        EncodedDelta encoded = DeltaEncoder.EncodeFlat(schema, values, TensorEncoding.Float32);
        SignedDelta delta = SignedDelta.Create(origin.SigningKey, new DeltaHeader
        {
            MeshId = meshId,
            BaseModelHash = baseHash,
            Schema = schema,
            Sequence = 1,
            Timestamp = DateTimeOffset.UnixEpoch,
            Privacy = new DpParameters(0, 0, null),
        }, encoded);
        return (delta, encoded.Payload, new LocalMesh(meshId, baseHash, schema));
    }

    /// <summary>
    /// Waits until the runtime has compiled no method for 200 ms (at most 5 s): the methods the warm-up promoted
    /// are queued for a background thread after a 100 ms call-counting delay, and compiling them must not share the
    /// cores with the timed transfers.
    /// </summary>
    private static async Task WaitForBackgroundCompilationAsync(CancellationToken cancellationToken)
    {
        long deadline = Environment.TickCount64 + 5000;
        long compiled = System.Runtime.JitInfo.GetCompiledMethodCount();
        while (Environment.TickCount64 < deadline)
        {
            await Task.Delay(200, cancellationToken).ConfigureAwait(false);
            long now = System.Runtime.JitInfo.GetCompiledMethodCount();
            if (now == compiled)
            {
                return;
            }

            compiled = now;
        }
    }

    /// <returns>Wall-clock and process CPU seconds from the first send to the verified, reassembled payload
    /// (connection setup and handshake excluded, as in <see cref="TransferProbe"/>).</returns>
    private static async Task<(double Seconds, double CpuSeconds, string Cipher)> SecureOnceAsync(SignedDelta delta, ReadOnlyMemory<byte> payload, LocalMesh local,
        ConnectionOptions options, bool placedChunks, CancellationToken cancel)
    {
        using NodeIdentity sender = NodeIdentity.Create();
        using NodeIdentity receiver = NodeIdentity.Create();
        await using LoopbackSecurePair pair = await LoopbackSecurePair.ConnectAsync(sender, receiver, options, cancellationToken: cancel).ConfigureAwait(false);
        (SecureConnection client, SecureConnection server) = (pair.Initiator, pair.Responder);

        TimeProvider time = TimeProvider.System;
        TimeSpan cpuStart = Environment.CpuUsage.TotalTime;
        long start = time.GetTimestamp();
        Task<DeltaAssembler> receive = Task.Run(async () =>
        {
            DeltaAssembler? assembler = null;
            while (assembler is null || !assembler.IsComplete)
            {
                using ReceivedFrame frame = await server.Incoming.ReadAsync(cancel).ConfigureAwait(false);
                // Placed: the read loop decrypted the chunk straight into the assembler's slot, which hashes it there.
                // Borrowed: the chunk's data is a slice of the frame, valid until it is disposed at the end of this
                // iteration; the assembler verifies it and copies it into the payload before that.
                WireMessage message = frame.PlacedChunk ?? MessageCodec.DecodeBorrowed(frame.Type, frame.Body);
                switch (message)
                {
                    case DeltaManifestMessage manifest:
                        assembler = new DeltaAssembler(SignedDelta.Verify(manifest, local));
                        if (placedChunks)
                        {
                            server.ChunkSlots = assembler;
                        }

                        break;
                    case DeltaChunkMessage chunk when assembler is not null:
                        if (assembler.Accept(chunk) != ChunkOutcome.Accepted)
                        {
                            throw new ProtocolException(ProtocolErrorCode.Internal, $"chunk {chunk.Index} not accepted");
                        }

                        break;
                    default:
                        throw new ProtocolException(ProtocolErrorCode.UnexpectedFrameType, $"unexpected {message.Type}");
                }
            }

            return assembler;
        }, cancel);

        await client.SendAsync(FrameType.DeltaManifest, delta.Body, cancel).ConfigureAwait(false);
        for (int i = 0; i < delta.Manifest.ChunkCount; i++)
        {
            await client.SendAsync(delta.Chunk(payload, i), cancel).ConfigureAwait(false);
        }

        DeltaAssembler received = await receive.ConfigureAwait(false);
        double seconds = time.GetElapsedTime(start).TotalSeconds;
        double cpuSeconds = (Environment.CpuUsage.TotalTime - cpuStart).TotalSeconds;
        if (!received.Payload.Span.SequenceEqual(payload.Span))
        {
            throw new InvalidDataException("the received payload differs from the one sent");
        }

        return (seconds, cpuSeconds, client.Session.Suite.ToString());
    }

    private static double Median(List<double> xs)
    {
        xs.Sort();
        return xs.Count % 2 == 1 ? xs[xs.Count / 2] : (xs[(xs.Count / 2) - 1] + xs[xs.Count / 2]) / 2;
    }
}
