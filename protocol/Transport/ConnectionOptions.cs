using FedMesh.Protocol.Security;

namespace FedMesh.Protocol.Transport;

/// <summary>Settings of one <see cref="SecureConnection"/>.</summary>
public sealed record ConnectionOptions
{
    public static readonly ConnectionOptions Default = new();

    public HandshakeOptions Handshake { get; init; } = HandshakeOptions.Default;

    /// <summary>
    /// Close when nothing arrives for this long. The message layer pings every 30 s (SPEC §4), so 90 s is three
    /// missed pings: long enough for a stalled WAN link, short enough to free a dead peer's slot.
    /// </summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(90);

    /// <summary>
    /// Frames queued for sending before <see cref="SecureConnection.SendAsync"/> waits. 8 frames (≤ 8 MiB of
    /// 1 MiB chunks, plus <see cref="TcpPipe.PauseThreshold"/> in the pipe) keep a chunk transfer streaming across
    /// a flush; a deeper queue only adds pooled buffers in flight, which no longer stay warm in the pool and cache:
    /// measured with `fedmesh bench transfer` (64 MiB, 5 runs × 5 repeats, 2 loaded cores), median process CPU per
    /// transfer was ~160 ms at 64 frames, ~135 ms at 16, ~112 ms at 8 and ~136 ms at 4 (more blocking hand-offs).
    /// </summary>
    public int SendQueueFrames { get; init; } = 8;

    /// <summary>
    /// Decrypted frames waiting for the application before the read loop stops reading (backpressure then
    /// reaches the peer through the pipe and TCP windows). 8 for the same reason as the send queue.
    /// </summary>
    public int ReceiveQueueFrames { get; init; } = 8;

    /// <summary>
    /// For in-process simulations only (netsim's largest runs; off by default, and the daemon has no setting for it): the
    /// handshake names each side's static key in the clear (<see cref="Security.Internal.SimulatedHandshake"/>) and
    /// frames carry a zero tag of the suite's size instead of AEAD, so frames keep their real lengths while no
    /// X25519, Ed25519 or cipher runs. Nothing is authenticated or encrypted. Both ends must set it: a real node and a
    /// simulated one fail each other's handshake (UnsupportedVersion).
    /// </summary>
    public bool SimulatedCrypto { get; init; }

    internal void Validate()
    {
        Handshake.Validate();
        if (IdleTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException("idle timeout must be positive", nameof(IdleTimeout));
        }

        if (SendQueueFrames < 1 || ReceiveQueueFrames < 1)
        {
            throw new ArgumentException("queue sizes must be at least 1 frame");
        }
    }
}
