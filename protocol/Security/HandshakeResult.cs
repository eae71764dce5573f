using FedMesh.Protocol.Identity;

namespace FedMesh.Protocol.Security;

/// <summary>What a completed handshake established: who the peer is, the suite, and the session's transcript hash.</summary>
public sealed class HandshakeResult
{
    internal HandshakeResult(bool isInitiator, byte[] remotePublicKey, CipherSuite suite, byte[] transcriptHash, byte[] sendKey, byte[] receiveKey)
    {
        IsInitiator = isInitiator;
        RemotePublicKey = remotePublicKey;
        RemotePeerId = PeerId.FromPublicKey(remotePublicKey);
        Suite = suite;
        TranscriptHash = transcriptHash;
        SendKey = sendKey;
        ReceiveKey = receiveKey;
    }

    public bool IsInitiator { get; }

    /// <summary>The peer's authenticated Ed25519 public key.</summary>
    public ReadOnlyMemory<byte> RemotePublicKey { get; }

    public PeerId RemotePeerId { get; }

    public CipherSuite Suite { get; }

    /// <summary>h4 of SPEC.md §3.2: identical on both sides, unique per session (usable as a channel binding).</summary>
    public ReadOnlyMemory<byte> TranscriptHash { get; }

    /// <summary>A simulated channel's session (<see cref="Transport.ConnectionOptions.SimulatedCrypto"/>): no keys, and its
    /// frames are sealed without a cipher.</summary>
    public bool Simulated { get; internal init; }

    internal byte[] SendKey { get; }

    internal byte[] ReceiveKey { get; }

    /// <summary>Wipes the traffic keys once the channel has imported them.</summary>
    internal void ClearKeys()
    {
        Array.Clear(SendKey);
        Array.Clear(ReceiveKey);
    }
}
