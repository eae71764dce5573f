using System.Net;
using FedMesh.Node.Hosting;
using FedMesh.Protocol;
using FedMesh.Protocol.Deltas;
using FedMesh.Protocol.Identity;
using FedMesh.Protocol.Messages;
using FedMesh.Protocol.Security;
using FedMesh.Protocol.Transport;
using FedMesh.Protocol.Wire;
using Microsoft.Extensions.Logging.Abstractions;

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
    /// <summary>The delta's chunks.</summary>
    public int Chunks { get; init; }

    /// <summary>The fewest of <see cref="Chunks"/> the receiving node placed in any timed transfer (the rest arrived
    /// before its engine had the manifest, in pooled buffers).</summary>
    public int PlacedChunks { get; init; }

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
    /// Untimed one-chunk transfers before measuring: every code path of a transfer (node start, handshake, Hello, the
    /// pull, manifest verification, chunk placement) and the buffer pools touched once. This executable runs with
    /// tiered compilation off (FedMesh.Bench.csproj), so no method waits for call counts to be optimised; a few
    /// transfers do what 64 did under tiered PGO, and each now starts a receiving node (~20 ms).
    /// </summary>
    private const int WarmupTransfers = 8;

    /// <summary>The mesh of the benchmark's nodes (its id is in the handshake, Hello and every manifest).</summary>
    private const string MeshName = "bench-transfer";

    /// <summary>
    /// What the secure side measures, printed in the JSON so figures are not read as something else: the receiver is a
    /// real node (<see cref="NodeRuntime"/> on loopback TCP, the daemon's transport, with NodeParts.PlaceChunks on, as in the daemon):
    /// its connection's read loop
    /// decrypts every DeltaChunk of the delta it pulls straight into the gossip engine's assembler (ChunkPlacements),
    /// which hashes it there; the pump hands frames to the gossip actor; the engine verifies the signature, accepts
    /// the chunks and stores the delta. The sender is a bare secure connection serving the node's Want as a node does.
    /// </summary>
    public const string DaemonReceivePath =
        "the daemon's: NodeRuntime on loopback TCP (NodeParts.PlaceChunks on, as in the daemon): read loop decrypts chunks into the GossipEngine's assembler (ChunkPlacements), GossipActor verifies and stores";

    /// <summary>Size of the warm-up deltas: one chunk, so the 64 of them take well under a second.</summary>
    private const int WarmupBytes = 64 * 1024;

    /// <param name="warmupTransfers">Untimed one-chunk transfers first (default <see cref="WarmupTransfers"/>; tests
    /// that only check the path pass fewer).</param>
    /// <param name="suites">Suites both ends offer (<see cref="CipherSuite.None"/>: the defaults, so the handshake picks
    /// what two nodes on this machine would); ChaCha20-Poly1305 is always among them.</param>
    public static async Task<TransferResult> RunAsync(long sizeBytes, int repeats, CancellationToken cancellationToken, int warmupTransfers = WarmupTransfers,
        CipherSuite suites = CipherSuite.None)
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
            await SecureOnceAsync(small, smallPayload, smallLocal, origin, options, cancellationToken).ConfigureAwait(false);
        }

        // One untimed full-size run of each: pooled buffers and socket memory are then as warm as in a running node.
        await TransferProbe.PlainCopyAsync(payload, copy, cancellationToken: cancellationToken).ConfigureAwait(false);
        await TransferProbe.PlainAsync(payload.Length, cancellationToken: cancellationToken).ConfigureAwait(false);
        await SecureOnceAsync(delta, payload, local, origin, options, cancellationToken).ConfigureAwait(false);
        await WaitForBackgroundCompilationAsync(cancellationToken).ConfigureAwait(false);

        var secure = new List<double>();
        var raw = new List<double>();
        var rawHot = new List<double>();
        var secureCpu = new List<double>();
        var rawCpu = new List<double>();
        string cipher = string.Empty;
        int placedChunks = int.MaxValue;
        for (int r = 0; r < repeats; r++)
        {
            // Alternate the paths so load changes on this machine hit all alike.
            Settle();
            TimeSpan cpu = Environment.CpuUsage.TotalTime;
            raw.Add((await TransferProbe.PlainCopyAsync(payload, copy, cancellationToken: cancellationToken).ConfigureAwait(false)).Elapsed.TotalSeconds);
            rawCpu.Add((Environment.CpuUsage.TotalTime - cpu).TotalSeconds);
            Settle();
            (double seconds, double cpuSeconds, string suite, int placed) = await SecureOnceAsync(delta, payload, local, origin, options, cancellationToken).ConfigureAwait(false);
            placedChunks = Math.Min(placedChunks, placed);
            secure.Add(seconds);
            secureCpu.Add(cpuSeconds);
            cipher = suite;
            Settle();
            rawHot.Add((await TransferProbe.PlainAsync(payload.Length, cancellationToken: cancellationToken).ConfigureAwait(false)).Elapsed.TotalSeconds);
        }

        return new TransferResult(payload.Length, Median(secure), Median(raw), cipher, Median(secureCpu), Median(rawCpu), Median(rawHot))
        {
            Chunks = delta.Manifest.ChunkCount,
            PlacedChunks = placedChunks,
        };
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
        byte[] meshId = NodeRuntime.MeshIdFor(MeshName);
        byte[] baseHash = new byte[32];
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
            // Now: a node refuses manifests dated beyond gossip.max_delta_age (ManifestClock).
            Timestamp = DateTimeOffset.UtcNow,
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

    /// <returns>Wall-clock and process CPU seconds from the manifest's send (the node asked for it: Have, Want) to the
    /// node's verified, stored delta (node start, connection setup, handshake and Hello excluded, as in
    /// <see cref="TransferProbe"/>), and how many of the delta's chunks the node's read loop placed.</returns>
    private static async Task<(double Seconds, double CpuSeconds, string Cipher, int Placed)> SecureOnceAsync(SignedDelta delta, ReadOnlyMemory<byte> payload,
        LocalMesh local, NodeIdentity origin, ConnectionOptions options, CancellationToken cancel)
    {
        using NodeIdentity receiver = NodeIdentity.Create();
        await using var node = new NodeRuntime(new NodeParts
        {
            PlaceChunks = true,
            Identity = receiver,
            Mesh = local,
            MeshName = MeshName,
            Listen = new IPEndPoint(IPAddress.Loopback, 0),
        }, NullLoggerFactory.Instance);
        var arrived = new TaskCompletionSource<StoredDelta>(TaskCreationOptions.RunContinuationsAsynchronously);
        node.DeltaArrived += (stored, _) => arrived.TrySetResult(stored);
        await node.StartAsync(cancel).ConfigureAwait(false);

        // The sender is the delta's origin: a node in the default (neighbours) mode pulls a peer's own states only.
        await using TcpPipe pipe = await TcpPipe.ConnectAsync(node.ListenEndPoint!, cancel).ConfigureAwait(false);
        await using SecureConnection sender = await SecureConnection.ConnectAsync(pipe, origin, options with
        {
            Handshake = options.Handshake with { MeshId = MeshName },
        }, cancellationToken: cancel).ConfigureAwait(false);
        var want = new TaskCompletionSource<WantMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        Task reading = ReadAsync(sender, want);
        await sender.SendAsync(new HelloMessage
        {
            PublicKey = origin.PublicKey.ToArray(),
            MeshId = local.MeshId,
            BaseModelHash = local.BaseModelHash,
            AdapterSchemaHash = local.Schema.Hash,
            SoftwareVersion = "fedmesh-bench",
        }, cancel).ConfigureAwait(false);
        await sender.SendAsync(delta.Have(), cancel).ConfigureAwait(false);
        WantMessage asked = await want.Task.WaitAsync(cancel).ConfigureAwait(false);
        if (!asked.WantManifest || asked.Ranges.Sum(r => (long)r.Count) < delta.Manifest.ChunkCount)
        {
            throw new InvalidDataException($"the node asked for {asked.Ranges.Sum(r => (long)r.Count)} of {delta.Manifest.ChunkCount} chunks in its first Want");
        }

        TimeProvider time = TimeProvider.System;
        TimeSpan cpuStart = Environment.CpuUsage.TotalTime;
        long start = time.GetTimestamp();
        await sender.SendAsync(FrameType.DeltaManifest, delta.Body, cancel).ConfigureAwait(false);
        for (int i = 0; i < delta.Manifest.ChunkCount; i++)
        {
            await sender.SendAsync(delta.Chunk(payload, i), cancel).ConfigureAwait(false);
        }

        StoredDelta received = await arrived.Task.WaitAsync(cancel).ConfigureAwait(false);
        double seconds = time.GetElapsedTime(start).TotalSeconds;
        double cpuSeconds = (Environment.CpuUsage.TotalTime - cpuStart).TotalSeconds;
        if (!received.Payload.Span.SequenceEqual(payload.Span))
        {
            throw new InvalidDataException("the received payload differs from the one sent");
        }

        string suite = sender.Session.Suite.ToString();
        await node.StopAsync().ConfigureAwait(false);
        await reading.ConfigureAwait(false);
        return (seconds, cpuSeconds, suite, (int)node.ChunkPlacements.ChunksPlaced);
    }

    /// <summary>Reads what the node sends (Hello, Want, Pings, Bye) until the connection ends; hands over the first Want.</summary>
    private static async Task ReadAsync(SecureConnection connection, TaskCompletionSource<WantMessage> want)
    {
        await foreach (ReceivedFrame frame in connection.Incoming.ReadAllAsync().ConfigureAwait(false))
        {
            using (frame)
            {
                if (frame.Type == FrameType.Want)
                {
                    want.TrySetResult(MessageCodec.Decode<WantMessage>(frame.Type, frame.Body));
                }
            }
        }

        want.TrySetException(new InvalidDataException($"the node closed the connection before asking for the delta: {(await connection.Completion.ConfigureAwait(false)).Message}"));
    }

    private static double Median(List<double> xs)
    {
        xs.Sort();
        return xs.Count % 2 == 1 ? xs[xs.Count / 2] : (xs[(xs.Count / 2) - 1] + xs[xs.Count / 2]) / 2;
    }
}
