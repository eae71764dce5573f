using System.Collections.Concurrent;
using System.IO.Pipelines;
using FedMesh.Protocol.Identity;
using FedMesh.Protocol.Security;
using FedMesh.Protocol.Security.Internal;
using FedMesh.Protocol.Transport;
using FedMesh.Protocol.Wire;

namespace FedMesh.Protocol.Tests.Transport;

/// <summary>
/// <see cref="ConnectionOptions.SimulatedCrypto"/>: netsim's switch for its largest runs. What it must keep is what a
/// simulation measures (who is connected, frame lengths, the mesh/pin/allowlist decisions); what it must never do is
/// complete a handshake with a real node.
/// </summary>
public sealed class SimulatedChannelTests : IDisposable
{
    private static readonly ConnectionOptions Simulated = new() { SimulatedCrypto = true };

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

    [Fact]
    public async Task A_simulated_pair_names_both_peers_and_carries_frames_with_the_real_lengths()
    {
        (List<int> real, _) = await ExchangeThroughRelayAsync(ConnectionOptions.Default);
        (List<int> simulated, List<byte[]> frames) = await ExchangeThroughRelayAsync(Simulated);

        // Init, Finish, then the three application frames, each exactly as long as with the real handshake and AEAD.
        Assert.Equal(5, real.Count);
        Assert.Equal(real, simulated);

        // No cipher ran: the body is there in the clear, followed by a zero tag of the suite's size.
        byte[] hello = frames[2];
        int tag = CipherSuites.TagSize(CipherSuites.Choose(CipherSuites.Supported, CipherSuites.Supported));
        Assert.True(hello.AsSpan(FrameHeader.Size, 5).SequenceEqual("hello"u8));
        Assert.All(hello[^tag..], b => Assert.Equal(0, b));
    }

    [Fact]
    public async Task A_simulated_initiator_and_a_real_responder_fail_each_others_handshake()
    {
        (IDuplexPipe pa, IDuplexPipe pb) = PipePair.Create();
        Task<SecureConnection> accept = SecureConnection.AcceptAsync(pb, _b, cancellationToken: Guard);
        await Assert.ThrowsAsync<ProtocolException>(() => SecureConnection.ConnectAsync(pa, _a, Simulated, cancellationToken: Guard));
        var e = await Assert.ThrowsAsync<ProtocolException>(() => accept);
        Assert.Equal(ProtocolErrorCode.UnsupportedVersion, e.Code);
    }

    [Fact]
    public async Task A_real_initiator_and_a_simulated_responder_fail_each_others_handshake()
    {
        (IDuplexPipe pa, IDuplexPipe pb) = PipePair.Create();
        Task<SecureConnection> accept = SecureConnection.AcceptAsync(pb, _b, Simulated, cancellationToken: Guard);
        await Assert.ThrowsAsync<ProtocolException>(() => SecureConnection.ConnectAsync(pa, _a, cancellationToken: Guard));
        var e = await Assert.ThrowsAsync<ProtocolException>(() => accept);
        Assert.Equal(ProtocolErrorCode.UnsupportedVersion, e.Code);
    }

    [Fact]
    public async Task A_wrong_pinned_key_another_mesh_and_the_allowlists_still_refuse()
    {
        // Pinned key: the initiator expected someone else.
        (IDuplexPipe pa, IDuplexPipe pb) = PipePair.Create();
        Task<SecureConnection> accept = SecureConnection.AcceptAsync(pb, _b, Simulated, cancellationToken: Guard);
        var pin = await Assert.ThrowsAsync<ProtocolException>(() =>
            SecureConnection.ConnectAsync(pa, _a, Simulated, pinnedResponderKey: _a.PublicKey.ToArray(), cancellationToken: Guard));
        Assert.Equal(ProtocolErrorCode.HandshakeFailed, pin.Code);
        await Assert.ThrowsAsync<ProtocolException>(() => accept);

        // Another mesh id.
        (pa, pb) = PipePair.Create();
        var otherMesh = Simulated with { Handshake = new HandshakeOptions { MeshId = "other" } };
        accept = SecureConnection.AcceptAsync(pb, _b, otherMesh, cancellationToken: Guard);
        var mesh = await Assert.ThrowsAsync<ProtocolException>(() => SecureConnection.ConnectAsync(pa, _a, Simulated, cancellationToken: Guard));
        Assert.Contains("another mesh", mesh.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ProtocolException>(() => accept);

        // The responder's allowlist leaves the initiator out.
        (pa, pb) = PipePair.Create();
        var closed = Simulated with { Handshake = new HandshakeOptions { Allowlist = new HashSet<PeerId> { _b.PeerId } } };
        accept = SecureConnection.AcceptAsync(pb, _b, closed, cancellationToken: Guard);
        SecureConnection? a = null;
        try
        {
            a = await SecureConnection.ConnectAsync(pa, _a, Simulated, cancellationToken: Guard);
        }
        catch (ProtocolException)
        {
        }

        var refused = await Assert.ThrowsAsync<ProtocolException>(() => accept);
        Assert.Equal(ProtocolErrorCode.NotAllowed, refused.Code);
        if (a is not null)
        {
            await a.DisposeAsync();
        }

        // The initiator's allowlist leaves the responder out.
        (pa, pb) = PipePair.Create();
        closed = Simulated with { Handshake = new HandshakeOptions { Allowlist = new HashSet<PeerId> { _a.PeerId } } };
        accept = SecureConnection.AcceptAsync(pb, _b, Simulated, cancellationToken: Guard);
        var notAllowed = await Assert.ThrowsAsync<ProtocolException>(() => SecureConnection.ConnectAsync(pa, _a, closed, cancellationToken: Guard));
        Assert.Equal(ProtocolErrorCode.NotAllowed, notAllowed.Code);
        await Assert.ThrowsAsync<ProtocolException>(() => accept);
    }

    [Fact]
    public void The_plaintext_seal_keeps_the_length_and_opening_refuses_a_nonzero_tag()
    {
        using var aead = new PlaintextAead(CipherSuite.Aegis256);
        byte[] body = [1, 2, 3, 4, 5];
        byte[] sealedBody = new byte[body.Length + aead.TagSize];
        aead.Seal([], body, sealedBody, []);
        byte[] opened = new byte[body.Length];
        Assert.True(aead.Open([], sealedBody, opened, []));
        Assert.Equal(body, opened);

        sealedBody[^1] = 1;
        Assert.False(aead.Open([], sealedBody, opened, []));
    }

    /// <summary>A connects to B with <paramref name="options"/> on both sides through a relay that records A→B frames,
    /// sends Hello, a DeltaChunk and a Pong, and returns every A→B frame's length and bytes.</summary>
    private async Task<(List<int> Lengths, List<byte[]> Frames)> ExchangeThroughRelayAsync(ConnectionOptions options)
    {
        var seen = new ConcurrentQueue<byte[]>();
        (IDuplexPipe pa, IDuplexPipe pb, Task relay) = PipePair.CreateWithRelay((_, frame) =>
        {
            seen.Enqueue(frame);
            return [frame];
        });
        Task<SecureConnection> accept = SecureConnection.AcceptAsync(pb, _b, options, cancellationToken: Guard);
        SecureConnection a = await SecureConnection.ConnectAsync(pa, _a, options, cancellationToken: Guard);
        SecureConnection b = await accept;
        Assert.Equal(_b.PeerId, a.RemotePeerId);
        Assert.Equal(_a.PeerId, b.RemotePeerId);
        Assert.Equal(options.SimulatedCrypto, a.Session.Simulated);
        Assert.Equal(options.SimulatedCrypto, b.Session.Simulated);

        byte[] chunk = [.. Enumerable.Range(0, 4096).Select(i => (byte)(i * 7))];
        await a.SendAsync(FrameType.Hello, "hello"u8.ToArray(), Guard);
        await a.SendAsync(FrameType.DeltaChunk, chunk, Guard);
        await a.SendAsync(FrameType.Pong, new byte[] { 42 }, Guard);
        using (ReceivedFrame hello = await b.Incoming.ReadAsync(Guard))
        {
            Assert.Equal("hello"u8.ToArray(), hello.Body.ToArray());
        }

        using (ReceivedFrame received = await b.Incoming.ReadAsync(Guard))
        {
            Assert.True(received.Body.Span.SequenceEqual(chunk));
        }

        using (ReceivedFrame pong = await b.Incoming.ReadAsync(Guard))
        {
            Assert.Equal(new byte[] { 42 }, pong.Body.ToArray());
        }

        await a.DisposeAsync();
        await b.DisposeAsync();
        await relay.WaitAsync(Guard);
        List<byte[]> frames = [.. seen.Where(f => FrameHeader.Parse(f).Type != FrameType.Bye)];
        return ([.. frames.Select(f => f.Length)], frames);
    }
}
