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
    /// Frames queued for sending before <see cref="SecureConnection.SendAsync"/> waits. 64 frames keeps a
    /// 1 MiB-chunk transfer streaming across a flush while bounding queued memory to ~64 MiB worst case.
    /// </summary>
    public int SendQueueFrames { get; init; } = 64;

    /// <summary>
    /// Decrypted frames waiting for the application before the read loop stops reading (backpressure then
    /// reaches the peer through the pipe and TCP windows). 64 for the same reason as the send queue.
    /// </summary>
    public int ReceiveQueueFrames { get; init; } = 64;

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
