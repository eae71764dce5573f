using System.Net;
using System.Net.Sockets;
using FedMesh.Protocol.Identity;
using FedMesh.Protocol.Security;
using FedMesh.Protocol.Wire;

namespace FedMesh.Protocol.Transport;

/// <summary>One timed one-direction transfer.</summary>
/// <param name="Bytes">Application bytes delivered (bodies, not counting headers and tags).</param>
/// <param name="Elapsed">From the first send to the last byte delivered to the receiver.</param>
public sealed record TransferMeasurement(long Bytes, TimeSpan Elapsed, CipherSuite Suite)
{
    public double BytesPerSecond => Bytes / Elapsed.TotalSeconds;
}

/// <summary>
/// Measures one-direction throughput over loopback TCP: the secure channel (handshake excluded, 1 MiB
/// DeltaChunk bodies, as a delta transfer sends them) against a plain socket copy of the same bytes, the
/// baseline of the delta-transfer target (secure ≥ 0.45 × plain). Used by `fedmesh-bench transfer` and the
/// BenchmarkDotNet transfer benchmark.
/// </summary>
public static class TransferProbe
{
    /// <summary>Body size per frame: the 1 MiB chunk size of the message layer (SPEC §5).</summary>
    public const int ChunkBytes = 1024 * 1024;

    /// <summary>
    /// Sends <paramref name="totalBytes"/> through a plain connected socket pair in 1 MiB writes of one 1 MiB
    /// pattern, received into one 1 MiB sink: socket throughput with both buffers hot in cache.
    /// </summary>
    public static async Task<TransferMeasurement> PlainAsync(long totalBytes, TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        byte[] source = Pattern(ChunkBytes);
        byte[] sink = new byte[ChunkBytes];
        return await PlainAsync(totalBytes, sent => source.AsMemory(0, (int)Math.Min(ChunkBytes, totalBytes - sent)),
            got => sink, time, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Copies <paramref name="payload"/> through a plain connected socket pair into <paramref name="destination"/>
    /// (1 MiB writes; each receive lands in place), then checks the copy after the clock stopped. The baseline a
    /// delta transfer is compared with: the same bytes, read from memory as the secure path reads the payload and
    /// written into a payload-sized buffer as the assembler fills its own, where
    /// <see cref="PlainAsync(long, TimeProvider?, CancellationToken)"/> re-sends one cache-hot megabyte into one
    /// sink. The caller allocates the destination once, so the baseline pays no first-touch page faults.
    /// </summary>
    /// <exception cref="ArgumentException">The destination is not exactly as long as the payload.</exception>
    public static async Task<TransferMeasurement> PlainCopyAsync(ReadOnlyMemory<byte> payload, Memory<byte> destination, TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        if (destination.Length != payload.Length)
        {
            throw new ArgumentException($"destination is {destination.Length} bytes, the payload {payload.Length}", nameof(destination));
        }

        TransferMeasurement measurement = await PlainAsync(payload.Length,
            sent => payload.Slice((int)sent, (int)Math.Min(ChunkBytes, payload.Length - sent)),
            got => destination[(int)got..], time, cancellationToken).ConfigureAwait(false);
        if (!destination.Span.SequenceEqual(payload.Span))
        {
            throw new InvalidDataException("the plain copy differs from the payload");
        }

        return measurement;
    }

    /// <param name="next">The bytes to send once <c>sent</c> bytes have gone (at most 1 MiB).</param>
    /// <param name="into">Where to receive once <c>got</c> bytes have arrived.</param>
    private static async Task<TransferMeasurement> PlainAsync(long totalBytes, Func<long, ReadOnlyMemory<byte>> next, Func<long, Memory<byte>> into,
        TimeProvider? time, CancellationToken cancellationToken)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        Task<Socket> accept = listener.AcceptAsync(cancellationToken).AsTask();
        await client.ConnectAsync(listener.LocalEndPoint!, cancellationToken).ConfigureAwait(false);
        using Socket server = await accept.ConfigureAwait(false);

        // The same socket options as TcpPipe sets on both ends of the secure channel.
        server.NoDelay = true;

        time ??= TimeProvider.System;
        long start = time.GetTimestamp();
        Task receive = Task.Run(async () =>
        {
            for (long got = 0; got < totalBytes;)
            {
                Memory<byte> destination = into(got);
                int n = await server.ReceiveAsync(destination[..(int)Math.Min(destination.Length, totalBytes - got)], SocketFlags.None, cancellationToken).ConfigureAwait(false);
                if (n == 0)
                {
                    throw new IOException($"sender closed after {got} of {totalBytes} bytes");
                }

                got += n;
            }
        }, cancellationToken);
        for (long sent = 0; sent < totalBytes;)
        {
            sent += await client.SendAsync(next(sent), SocketFlags.None, cancellationToken).ConfigureAwait(false);
        }

        await receive.ConfigureAwait(false);
        return new TransferMeasurement(totalBytes, time.GetElapsedTime(start), CipherSuite.None);
    }

    /// <summary>
    /// Sends <paramref name="totalBytes"/> as DeltaChunk frames over a handshaken <see cref="SecureConnection"/> on
    /// loopback TCP and checks the first delivered body against what was sent.
    /// </summary>
    public static async Task<TransferMeasurement> SecureAsync(long totalBytes, CipherSuite suites = CipherSuite.None, TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        using NodeIdentity sender = NodeIdentity.Create();
        using NodeIdentity receiver = NodeIdentity.Create();
        await using LoopbackSecurePair pair = await LoopbackSecurePair.ConnectAsync(sender, receiver, LoopbackSecurePair.OptionsOffering(suites),
            cancellationToken: cancellationToken).ConfigureAwait(false);
        (SecureConnection client, SecureConnection server) = (pair.Initiator, pair.Responder);
        byte[] source = Pattern(ChunkBytes);

        time ??= TimeProvider.System;
        long start = time.GetTimestamp();
        Task receive = Task.Run(async () =>
        {
            for (long got = 0; got < totalBytes;)
            {
                using ReceivedFrame frame = await server.Incoming.ReadAsync(cancellationToken).ConfigureAwait(false);

                // Checking the first frame proves the channel delivers the bytes; checking all would time memcmp too.
                if (got == 0 && !frame.Body.Span.SequenceEqual(source.AsSpan(0, frame.Body.Length)))
                {
                    throw new InvalidDataException($"frame at byte {got} arrived corrupted");
                }

                got += frame.Body.Length;
            }
        }, cancellationToken);
        for (long sent = 0; sent < totalBytes;)
        {
            int n = (int)Math.Min(ChunkBytes, totalBytes - sent);
            await client.SendAsync(FrameType.DeltaChunk, source.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
            sent += n;
        }

        await receive.ConfigureAwait(false);
        return new TransferMeasurement(totalBytes, time.GetElapsedTime(start), client.Session.Suite);
    }

    private static byte[] Pattern(int length)
    {
        byte[] data = new byte[length];
        new Random(1).NextBytes(data);
        return data;
    }
}
