using System.IO.Pipelines;
using System.Net;
using FedMesh.Protocol.Deltas;
using FedMesh.Protocol.Identity;
using FedMesh.Protocol.Messages;
using FedMesh.Protocol.Security;
using FedMesh.Protocol.Transport;
using FedMesh.Protocol.Wire;
using Microsoft.Extensions.Time.Testing;

namespace FedMesh.Protocol.Tests.Transport;

public sealed class SecureConnectionTests : IDisposable
{
    /// <summary>Generous wall-clock guard so a bug shows as a failure, never as a hung test run.</summary>
    private readonly CancellationTokenSource _guard = new(TimeSpan.FromSeconds(30));
    private readonly NodeIdentity _a = NodeIdentity.FromSeed(Enumerable.Repeat((byte)1, 32).ToArray());
    private readonly NodeIdentity _b = NodeIdentity.FromSeed(Enumerable.Repeat((byte)2, 32).ToArray());

    public void Dispose()
    {
        _guard.Dispose();
        _a.Dispose();
        _b.Dispose();
    }

    private CancellationToken Guard => _guard.Token;

    private static async Task<ReceivedFrame> NextAsync(SecureConnection connection, CancellationToken cancellationToken) =>
        await connection.Incoming.ReadAsync(cancellationToken);

    private async Task<(SecureConnection A, SecureConnection B)> ConnectAsync(IDuplexPipe a, IDuplexPipe b,
        ConnectionOptions? aOptions = null, ConnectionOptions? bOptions = null, TimeProvider? time = null)
    {
        Task<SecureConnection> accept = SecureConnection.AcceptAsync(b, _b, bOptions, time, cancellationToken: Guard);
        SecureConnection initiator = await SecureConnection.ConnectAsync(a, _a, aOptions, time: time, cancellationToken: Guard);
        return (initiator, await accept);
    }

    /// <summary>A over loopback TCP to B (B's key pinned).</summary>
    private Task<LoopbackSecurePair> ConnectOverLoopbackAsync() =>
        LoopbackSecurePair.ConnectAsync(_a, _b, pinnedResponderKey: _b.PublicKey.ToArray(), cancellationToken: Guard);

    private static async Task ExchangeAsync(SecureConnection a, SecureConnection b, CancellationToken cancellationToken)
    {
        byte[] big = Enumerable.Range(0, FrameLimits.MaxBody(FrameType.DeltaChunk)).Select(i => (byte)(i * 7)).ToArray();
        await a.SendAsync(FrameType.Hello, "hello"u8.ToArray(), cancellationToken);
        await a.SendAsync(FrameType.DeltaChunk, big, cancellationToken);
        await b.SendAsync(FrameType.Pong, new byte[] { 42 }, cancellationToken);

        using (ReceivedFrame hello = await NextAsync(b, cancellationToken))
        {
            Assert.Equal(FrameType.Hello, hello.Type);
            Assert.Equal("hello"u8.ToArray(), hello.Body.ToArray());
        }

        using (ReceivedFrame chunk = await NextAsync(b, cancellationToken))
        {
            Assert.Equal(FrameType.DeltaChunk, chunk.Type);
            Assert.True(chunk.Body.Span.SequenceEqual(big));
        }

        using ReceivedFrame pong = await NextAsync(a, cancellationToken);
        Assert.Equal(new byte[] { 42 }, pong.Body.ToArray());
    }

    [Fact]
    public async Task A_message_sent_as_a_message_arrives_as_its_MessageCodec_encoding()
    {
        (IDuplexPipe pa, IDuplexPipe pb) = PipePair.Create();
        (SecureConnection a, SecureConnection b) = await ConnectAsync(pa, pb);
        await using (a)
        await using (b)
        {
            var chunk = new DeltaChunkMessage(new byte[32], 3,
                Enumerable.Range(0, DeltaLimits.MaxChunkSize).Select(i => (byte)(i * 13)).ToArray());
            byte[] expected = MessageCodec.Encode(chunk);

            int length = await a.SendAsync(chunk, Guard);

            Assert.Equal(expected.Length, length);
            using ReceivedFrame frame = await NextAsync(b, Guard);
            Assert.Equal(FrameType.DeltaChunk, frame.Type);
            Assert.True(frame.Body.Span.SequenceEqual(expected));
        }
    }

    [Fact]
    public async Task Sending_a_message_on_a_closed_connection_throws_the_close_reason()
    {
        (IDuplexPipe pa, IDuplexPipe pb) = PipePair.Create();
        (SecureConnection a, SecureConnection b) = await ConnectAsync(pa, pb);
        await using (b)
        {
            await a.CloseAsync(ProtocolErrorCode.Overloaded, "busy");
            await a.DisposeAsync();

            ProtocolException e = await Assert.ThrowsAsync<ProtocolException>(async () => await a.SendAsync(new PingMessage(1), Guard));
            Assert.Equal(ProtocolErrorCode.Overloaded, e.Code);
        }
    }

    [Fact]
    public async Task An_orderly_close_ends_with_Bye_carrying_its_code_and_reason_after_the_queued_frames()
    {
        (IDuplexPipe pa, IDuplexPipe pb) = PipePair.Create();
        (SecureConnection a, SecureConnection b) = await ConnectAsync(pa, pb);
        await using (a)
        await using (b)
        {
            await a.SendAsync(new PingMessage(7), Guard);
            await a.CloseAsync(ProtocolErrorCode.IncompatiblePeer, "peer uses another base model");

            using (ReceivedFrame ping = await NextAsync(b, Guard))
            {
                Assert.Equal(FrameType.Ping, ping.Type);
            }

            using (ReceivedFrame frame = await NextAsync(b, Guard))
            {
                var bye = Assert.IsType<ByeMessage>(MessageCodec.Decode(frame.Type, frame.Body));
                Assert.Equal(ProtocolErrorCode.IncompatiblePeer, bye.Code);
                Assert.Equal("peer uses another base model", bye.Text);
            }

            // Nothing after Bye: the connection ends.
            Assert.False(await b.Incoming.WaitToReadAsync(Guard));
        }
    }

    [Fact]
    public void A_Bye_reason_is_cut_to_one_line_of_at_most_512_bytes()
    {
        string reason = "line one\nline two " + new string('é', 600);
        string text = ReasonMessage.OneLine(reason);
        Assert.DoesNotContain('\n', text);
        Assert.True(System.Text.Encoding.UTF8.GetByteCount(text) <= MessageLimits.MaxReasonTextBytes);
        Assert.StartsWith("line one line two é", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_idle_timeout_tells_the_peer_with_Bye_Timeout()
    {
        var time = new FakeTimeProvider();
        (IDuplexPipe pa, IDuplexPipe pb) = PipePair.Create();
        Task<SecureConnection> accept = SecureConnection.AcceptAsync(pb, _b, null, time, cancellationToken: Guard);
        SecureConnection a = await SecureConnection.ConnectAsync(pa, _a, null, cancellationToken: Guard);
        SecureConnection b = await accept;
        await using (a)
        await using (b)
        {
            time.Advance(ConnectionOptions.Default.IdleTimeout);

            using ReceivedFrame frame = await NextAsync(a, Guard);
            var bye = Assert.IsType<ByeMessage>(MessageCodec.Decode(frame.Type, frame.Body));
            Assert.Equal(ProtocolErrorCode.Timeout, bye.Code);
            Assert.Equal(ProtocolErrorCode.Timeout, (await b.Completion.WaitAsync(Guard)).Code);
        }
    }

    [Fact]
    public async Task Handshake_over_in_memory_pipes_authenticates_both_sides_and_carries_frames()
    {
        (IDuplexPipe pa, IDuplexPipe pb) = PipePair.Create();
        (SecureConnection a, SecureConnection b) = await ConnectAsync(pa, pb);
        await using (a)
        await using (b)
        {
            Assert.Equal(_b.PeerId, a.RemotePeerId);
            Assert.Equal(_a.PeerId, b.RemotePeerId);
            await ExchangeAsync(a, b, Guard);
            await a.CloseAsync(ProtocolErrorCode.Overloaded, "first reason wins");
            await a.CloseAsync(ProtocolErrorCode.Shutdown, "ignored");
            await a.DisposeAsync();
            Assert.Equal(ProtocolErrorCode.Overloaded, (await a.Completion).Code);
            Assert.Equal(ProtocolErrorCode.Shutdown, (await b.Completion.WaitAsync(Guard)).Code);
        }
    }

    [Fact]
    public async Task Handshake_over_loopback_tcp_authenticates_both_sides_and_carries_frames()
    {
        await using LoopbackSecurePair pair = await ConnectOverLoopbackAsync();
        (SecureConnection a, SecureConnection b) = (pair.Initiator, pair.Responder);
        await ExchangeAsync(a, b, Guard);

        await a.CloseAsync();
        ProtocolException reason = await b.Completion.WaitAsync(Guard);
        Assert.Equal(ProtocolErrorCode.Shutdown, reason.Code);
        Assert.Contains("peer closed", reason.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// Chunks (whose data the write loop copies only when it writes them) interleaved with small messages stream
    /// over loopback TCP faster than the receiver drains them (the pipe and queues fill, so reads return several
    /// frames and sends several segments): every frame arrives once, in order, with its exact body, although the
    /// sender reuses nothing until each send returned.
    /// </summary>
    [Fact]
    public async Task Streamed_chunks_and_small_messages_over_loopback_tcp_arrive_in_order_with_their_exact_bodies()
    {
        await using LoopbackSecurePair pair = await ConnectOverLoopbackAsync();
        (SecureConnection a, SecureConnection b) = (pair.Initiator, pair.Responder);
        byte[] payload = Enumerable.Range(0, 12 * DeltaLimits.MaxChunkSize).Select(i => (byte)((i * 13) ^ (i >> 20))).ToArray();
        var sent = new List<WireMessage>();
        for (int i = 0; i < 12; i++)
        {
            sent.Add(new DeltaChunkMessage(new byte[32], (uint)i, payload.AsMemory(i * DeltaLimits.MaxChunkSize, DeltaLimits.MaxChunkSize - i)));
            sent.Add(new PingMessage((ulong)i));
        }

        Task send = Task.Run(async () =>
        {
            foreach (WireMessage message in sent)
            {
                await a.SendAsync(message, Guard);
            }
        }, Guard);

        // Let the sender run ahead so the receiver finds several frames per read.
        await Task.Delay(50, Guard);
        foreach (WireMessage message in sent)
        {
            using ReceivedFrame frame = await NextAsync(b, Guard);
            Assert.Equal(message.Type, frame.Type);
            Assert.True(frame.Body.Span.SequenceEqual(MessageCodec.Encode(message)), $"{message.Type} body differs");
        }

        await send;
    }

    /// <summary>
    /// The read loop waits for the bytes a frame still lacks instead of waking for every piece. The last frame of a
    /// burst is the case that hung when it waited for the frame's whole length (Pipe counts only bytes not yet
    /// examined): here nothing follows it, so it must arrive from its own pieces alone.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(4096)]
    [InlineData(65536)]
    public async Task Frames_delivered_in_small_pieces_arrive_whole_including_the_last_one(int pieceBytes)
    {
        (IDuplexPipe pa, IDuplexPipe pb, Task relay) = PipePair.CreateTrickling(pieceBytes);
        (SecureConnection a, SecureConnection b) = await ConnectAsync(pa, pb);
        await using (a)
        await using (b)
        {
            int large = pieceBytes == 1 ? 20_000 : FrameLimits.MaxBody(FrameType.DeltaChunk);
            byte[][] bodies =
            [
                Enumerable.Range(0, large).Select(i => (byte)(i * 31)).ToArray(),
                [5],
                Enumerable.Range(0, large - 3).Select(i => (byte)(i ^ 0x5a)).ToArray(),
            ];
            for (int i = 0; i < bodies.Length; i++)
            {
                await a.SendAsync(i == 1 ? FrameType.Ping : FrameType.DeltaChunk, bodies[i], Guard);
                using ReceivedFrame frame = await NextAsync(b, Guard);
                Assert.True(frame.Body.Span.SequenceEqual(bodies[i]), $"frame {i} differs");
            }
        }

        await relay.WaitAsync(Guard);
    }

    [Fact]
    public async Task A_loopback_pair_negotiates_the_offered_suite_and_a_failed_handshake_throws_its_reason()
    {
        await using (LoopbackSecurePair pair = await LoopbackSecurePair.ConnectAsync(_a, _b,
            LoopbackSecurePair.OptionsOffering(CipherSuite.ChaCha20Poly1305), cancellationToken: Guard))
        {
            Assert.Equal(CipherSuite.ChaCha20Poly1305, pair.Initiator.Session.Suite);
            Assert.Equal(_a.PeerId, pair.Responder.RemotePeerId);
            await ExchangeAsync(pair.Initiator, pair.Responder, Guard);
        }

        Assert.Same(ConnectionOptions.Default, LoopbackSecurePair.OptionsOffering(CipherSuite.None));
        var e = await Assert.ThrowsAsync<ProtocolException>(() =>
            LoopbackSecurePair.ConnectAsync(_a, _b, pinnedResponderKey: _a.PublicKey.ToArray(), cancellationToken: Guard));
        Assert.Equal(ProtocolErrorCode.HandshakeFailed, e.Code);
    }

    [Fact]
    public async Task Connecting_to_a_closed_port_is_classified_as_refused()
    {
        int port;
        using (var probe = TcpPipeListener.Start(new IPEndPoint(IPAddress.Loopback, 0)))
        {
            port = probe.LocalEndPoint.Port;
        }

        var e = await Assert.ThrowsAsync<TransportException>(() => TcpPipe.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), Guard));
        Assert.Equal(TransportErrorKind.Refused, e.Kind);
    }

    [Fact]
    public async Task A_wrong_pinned_key_fails_the_handshake_on_the_initiator()
    {
        (IDuplexPipe pa, IDuplexPipe pb) = PipePair.Create();
        Task<SecureConnection> accept = SecureConnection.AcceptAsync(pb, _b, cancellationToken: Guard);
        var e = await Assert.ThrowsAsync<ProtocolException>(() =>
            SecureConnection.ConnectAsync(pa, _a, pinnedResponderKey: _a.PublicKey.ToArray(), cancellationToken: Guard));
        Assert.Equal(ProtocolErrorCode.HandshakeFailed, e.Code);
        var responderError = await Assert.ThrowsAsync<ProtocolException>(() => accept);
        Assert.Equal(ProtocolErrorCode.HandshakeFailed, responderError.Code);
    }

    [Fact]
    public async Task A_non_allowlisted_initiator_is_refused_before_any_application_frame_is_delivered()
    {
        // The initiator sends an application frame right after Finish; the responder must refuse the peer first.
        (IDuplexPipe pa, IDuplexPipe pb) = PipePair.Create();
        var closed = new ConnectionOptions { Handshake = new HandshakeOptions { Allowlist = new HashSet<PeerId> { _b.PeerId } } };
        Task<SecureConnection> accept = SecureConnection.AcceptAsync(pb, _b, closed, cancellationToken: Guard);
        await using SecureConnection a = await SecureConnection.ConnectAsync(pa, _a, cancellationToken: Guard);
        try
        {
            await a.SendAsync(FrameType.Hello, new byte[] { 1 }, Guard);
        }
        catch (ProtocolException)
        {
        }

        var e = await Assert.ThrowsAsync<ProtocolException>(() => accept);
        Assert.Equal(ProtocolErrorCode.NotAllowed, e.Code);
        Assert.Contains(_a.PeerId.Value, e.Message, StringComparison.Ordinal);
        ProtocolException initiatorSees = await a.Completion.WaitAsync(Guard);
        Assert.NotEqual(ProtocolErrorCode.None, initiatorSees.Code);
    }

    [Fact]
    public async Task A_non_allowlisted_responder_is_refused_by_the_initiator()
    {
        (IDuplexPipe pa, IDuplexPipe pb) = PipePair.Create();
        var closed = new ConnectionOptions { Handshake = new HandshakeOptions { Allowlist = new HashSet<PeerId> { _a.PeerId } } };
        Task<SecureConnection> accept = SecureConnection.AcceptAsync(pb, _b, cancellationToken: Guard);
        var e = await Assert.ThrowsAsync<ProtocolException>(() => SecureConnection.ConnectAsync(pa, _a, closed, cancellationToken: Guard));
        Assert.Equal(ProtocolErrorCode.NotAllowed, e.Code);
        await Assert.ThrowsAsync<ProtocolException>(() => accept);
    }

    public static TheoryData<string> Attacks() => new() { "tamper", "replay", "reorder", "drop" };

    [Theory]
    [MemberData(nameof(Attacks))]
    public async Task Tampered_replayed_reordered_or_dropped_frames_close_the_connection_with_DecryptFailed(string attack)
    {
        // Frames 0 and 1 from A are Init and Finish; application frames start at index 2.
        byte[]? held = null;
        (IDuplexPipe pa, IDuplexPipe pb, Task relay) = PipePair.CreateWithRelay((index, frame) =>
        {
            if (index < 2)
            {
                return [frame];
            }

            switch (attack)
            {
                case "tamper" when index == 3:
                    frame[^1] ^= 1;
                    return [frame];
                case "replay" when index == 2:
                    return [frame, frame];
                case "reorder" when index == 2:
                    held = frame;
                    return [];
                case "reorder" when index == 3:
                    return [frame, held!];
                case "drop" when index == 2:
                    return [];
                default:
                    return [frame];
            }
        });
        (SecureConnection a, SecureConnection b) = await ConnectAsync(pa, pb);
        await using (a)
        await using (b)
        {
            for (int i = 0; i < 4; i++)
            {
                await a.SendAsync(FrameType.Have, new byte[] { (byte)i }, Guard);
            }

            ProtocolException reason = await b.Completion.WaitAsync(Guard);
            Assert.Equal(ProtocolErrorCode.DecryptFailed, reason.Code);
            int delivered = 0;
            while (b.Incoming.TryRead(out ReceivedFrame frame))
            {
                Assert.Equal(delivered, frame.Body.Span[0]);
                frame.Dispose();
                delivered++;
            }

            Assert.True(delivered <= 1, $"{delivered} frames were delivered before the bad one");
            await Assert.ThrowsAsync<ProtocolException>(async () => await b.SendAsync(FrameType.Have, new byte[] { 1 }, Guard));
        }

        await relay.WaitAsync(Guard);
    }

    [Fact]
    public async Task A_silent_peer_times_out_the_handshake()
    {
        var time = new FakeTimeProvider();
        (_, IDuplexPipe pb) = PipePair.Create();
        Task<SecureConnection> accept = SecureConnection.AcceptAsync(pb, _b, time: time, cancellationToken: Guard);
        Assert.False(accept.IsCompleted);
        time.Advance(HandshakeOptions.Default.Timeout);
        var e = await Assert.ThrowsAsync<ProtocolException>(() => accept.WaitAsync(Guard));
        Assert.Equal(ProtocolErrorCode.Timeout, e.Code);
    }

    [Fact]
    public async Task An_idle_connection_is_closed_with_Timeout_and_traffic_resets_the_clock()
    {
        var time = new FakeTimeProvider();
        (IDuplexPipe pa, IDuplexPipe pb) = PipePair.Create();
        (SecureConnection a, SecureConnection b) = await ConnectAsync(pa, pb, time: time);
        await using (a)
        await using (b)
        {
            TimeSpan idle = ConnectionOptions.Default.IdleTimeout;
            time.Advance(idle / 2);
            await a.SendAsync(FrameType.Ping, new byte[] { 1 }, Guard);
            (await NextAsync(b, Guard)).Dispose();

            // Traffic the other way too: otherwise a (which received nothing since the handshake) times out at the
            // next step and its Bye(Timeout) races the assertion that b is still open (failed under load average 87).
            await b.SendAsync(FrameType.Ping, new byte[] { 2 }, Guard);
            (await NextAsync(a, Guard)).Dispose();
            time.Advance(idle * 3 / 4);
            Assert.False(b.IsClosed);
            time.Advance(idle / 2);
            ProtocolException reason = await b.Completion.WaitAsync(Guard);
            Assert.Equal(ProtocolErrorCode.Timeout, reason.Code);
        }
    }

    [Fact]
    public async Task Garbage_after_the_handshake_closes_with_a_protocol_reason()
    {
        (IDuplexPipe pa, IDuplexPipe pb, Task relay) = PipePair.CreateWithRelay((index, frame) =>
            index < 2 ? [frame] : [Convert.FromHexString("0177000000000000")]);
        (SecureConnection a, SecureConnection b) = await ConnectAsync(pa, pb);
        await using (a)
        await using (b)
        {
            await a.SendAsync(FrameType.Ping, new byte[] { 1 }, Guard);
            ProtocolException reason = await b.Completion.WaitAsync(Guard);
            Assert.Equal(ProtocolErrorCode.UnexpectedFrameType, reason.Code);
        }

        await relay.WaitAsync(Guard);
    }

    [Fact]
    public async Task Sending_a_handshake_type_or_an_oversized_body_is_refused_locally()
    {
        (IDuplexPipe pa, IDuplexPipe pb) = PipePair.Create();
        (SecureConnection a, SecureConnection b) = await ConnectAsync(pa, pb);
        await using (a)
        await using (b)
        {
            await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await a.SendAsync(FrameType.HandshakeInit, new byte[1], Guard));
            await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await a.SendAsync(FrameType.Ping, new byte[FrameLimits.MaxBody(FrameType.Ping) + 1], Guard));
            await a.SendAsync(FrameType.Ping, new byte[FrameLimits.MaxBody(FrameType.Ping)], Guard);
            (await NextAsync(b, Guard)).Dispose();
        }
    }
}
