using System.Net;
using FedMesh.Protocol;
using FedMesh.Protocol.Deltas;
using FedMesh.Protocol.Identity;
using FedMesh.Protocol.Messages;
using FedMesh.Protocol.Transport;
using FedMesh.Protocol.Wire;

namespace FedMesh.Node.Gossip.Bench;

/// <summary>
/// One run of <c>fedmesh bench transfer</c>: median wall-clock seconds of each transfer, and the median process
/// CPU seconds spent during each (all threads: both ends, sockets, GC). On a shared machine the CPU figures are
/// the load-independent part: they say how many core-seconds per byte each path needs.
/// </summary>
public sealed record TransferResult(long SizeBytes, double SecureSeconds, double RawSeconds, string Cipher, double SecureCpuSeconds = 0, double RawCpuSeconds = 0)
{
    public double SecureMBps => SizeBytes / SecureSeconds / 1e6;

    public double RawMBps => SizeBytes / RawSeconds / 1e6;

    public double Ratio => RawSeconds / SecureSeconds;
}

/// <summary>
/// Sends one signed delta of a given size through the secure channel over loopback TCP, exactly as a node serves it
/// (DeltaManifest then DeltaChunk messages), while the receiver verifies the manifest signature and every chunk's
/// BLAKE3 hash and reassembles the payload; in the same run, a plain socket copies the same number of bytes.
/// Signing happens before the clock starts (a node signs once and serves many peers); verification is timed.
/// </summary>
public static class TransferBenchmark
{
    public static async Task<TransferResult> RunAsync(long sizeBytes, int repeats, CancellationToken cancellationToken)
    {
        if (sizeBytes < 4 || sizeBytes > (long)DeltaLimits.MaxTotalSize)
        {
            throw new ArgumentOutOfRangeException(nameof(sizeBytes), $"size must be 4 bytes .. {DeltaLimits.MaxTotalSize / (1 << 20)} MiB");
        }

        using NodeIdentity origin = NodeIdentity.Create();
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
        var local = new LocalMesh(meshId, baseHash, schema);

        // One untimed run of each first: otherwise the first measured transfer runs largely in tier-0 (unoptimised)
        // JIT code and pays for first-touch page faults of pooled buffers, which a long-running node pays once.
        await TransferProbe.PlainAsync(encoded.Payload.Length, cancellationToken: cancellationToken).ConfigureAwait(false);
        await SecureOnceAsync(delta, encoded.Payload, local, cancellationToken).ConfigureAwait(false);

        var secure = new List<double>();
        var raw = new List<double>();
        var secureCpu = new List<double>();
        var rawCpu = new List<double>();
        string cipher = string.Empty;
        for (int r = 0; r < repeats; r++)
        {
            // Alternate the two so load changes on this machine hit both alike.
            TimeSpan cpu = Environment.CpuUsage.TotalTime;
            raw.Add((await TransferProbe.PlainAsync(encoded.Payload.Length, cancellationToken: cancellationToken).ConfigureAwait(false)).Elapsed.TotalSeconds);
            rawCpu.Add((Environment.CpuUsage.TotalTime - cpu).TotalSeconds);
            (double seconds, double cpuSeconds, string suite) = await SecureOnceAsync(delta, encoded.Payload, local, cancellationToken).ConfigureAwait(false);
            secure.Add(seconds);
            secureCpu.Add(cpuSeconds);
            cipher = suite;
        }

        return new TransferResult(encoded.Payload.Length, Median(secure), Median(raw), cipher, Median(secureCpu), Median(rawCpu));
    }

    /// <returns>Wall-clock and process CPU seconds from the first send to the verified, reassembled payload
    /// (connection setup and handshake excluded, as in <see cref="TransferProbe"/>).</returns>
    private static async Task<(double Seconds, double CpuSeconds, string Cipher)> SecureOnceAsync(SignedDelta delta, ReadOnlyMemory<byte> payload, LocalMesh local, CancellationToken cancel)
    {
        using NodeIdentity sender = NodeIdentity.Create();
        using NodeIdentity receiver = NodeIdentity.Create();
        using var listener = TcpPipeListener.Start(new IPEndPoint(IPAddress.Loopback, 0));
        Task<TcpPipe> accepted = listener.AcceptAsync(cancel);
        await using TcpPipe clientPipe = await TcpPipe.ConnectAsync(listener.LocalEndPoint, cancel).ConfigureAwait(false);
        await using TcpPipe serverPipe = await accepted.ConfigureAwait(false);
        Task<SecureConnection> accept = SecureConnection.AcceptAsync(serverPipe, receiver, cancellationToken: cancel);
        await using SecureConnection client = await SecureConnection.ConnectAsync(clientPipe, sender, cancellationToken: cancel).ConfigureAwait(false);
        await using SecureConnection server = await accept.ConfigureAwait(false);

        TimeProvider time = TimeProvider.System;
        TimeSpan cpuStart = Environment.CpuUsage.TotalTime;
        long start = time.GetTimestamp();
        Task<DeltaAssembler> receive = Task.Run(async () =>
        {
            DeltaAssembler? assembler = null;
            while (assembler is null || !assembler.IsComplete)
            {
                using ReceivedFrame frame = await server.Incoming.ReadAsync(cancel).ConfigureAwait(false);
                // Borrowed: the chunk's data is a slice of the frame, valid until it is disposed at the end of this
                // iteration; the assembler verifies it and copies it into the payload before that.
                WireMessage message = MessageCodec.DecodeBorrowed(frame.Type, frame.Body);
                switch (message)
                {
                    case DeltaManifestMessage manifest:
                        assembler = new DeltaAssembler(SignedDelta.Verify(manifest, local));
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
