using FedMesh.Node.Audit;
using FedMesh.Node.Gossip;
using FedMesh.Protocol;
using FedMesh.Protocol.Deltas;
using FedMesh.Protocol.Identity;
using FedMesh.Protocol.Messages;

namespace FedMesh.Node.Hosting;

/// <summary>The <see cref="IGossipHost"/> side: called by the engine on the actor loop.</summary>
public sealed partial class NodeRuntime
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<PeerId, (byte[] PublicKey, IReadOnlyList<string> Addresses)> _listenAddresses = new();
    private long _deltasReceived;

    // Wire bytes since start over every connection, closed ones included (a per-session sum forgets closed ones).
    private long _bytesIn;
    private long _bytesOut;
    private long _deltasRejected;

    public void Send(PeerId peer, WireMessage message)
    {
        if (!_sessions.TryGetValue(peer, out PeerSession? session))
        {
            return;
        }

        if (!session.TrySend(message))
        {
            if (session.IsClosing)
            {
                // Closing (it was sent Bye, e.g. after a malformed message): not a peer that stopped reading.
                return;
            }

            Log.PeerOverloaded(_logger, peer.Value);
            _ = session.CloseAsync(ProtocolErrorCode.Overloaded, "peer does not read fast enough");
            return;
        }
    }

    public void Close(PeerId peer, ProtocolErrorCode code, string reason)
    {
        Log.PeerClosed(_logger, peer.Value, code.ToString(), reason);
        if (_sessions.TryGetValue(peer, out PeerSession? session))
        {
            _ = session.CloseAsync(code, reason);
        }
    }

    public void PeerReady(PeerId peer, HelloMessage hello)
    {
        Log.PeerReady(_logger, peer.Value, hello.SoftwareVersion);
        _parts.PeerBook?.RecordSuccess(peer);
        if (!_sessions.TryGetValue(peer, out PeerSession? session))
        {
            return;
        }

        _listenAddresses[peer] = (hello.PublicKey.ToArray(), Advertised(hello, session));

        // Peer exchange: tell the newcomer where the peers we know listen (SPEC.md §9.8), at most the message cap.
        PeerEntry[] known = _listenAddresses
            .Where(p => p.Key != peer && _sessions.ContainsKey(p.Key) && p.Value.Addresses.Count > 0)
            .Take(MessageLimits.MaxPeersPerList)
            .Select(p => new PeerEntry(p.Value.PublicKey, p.Value.Addresses))
            .ToArray();
        if (known.Length > 0)
        {
            Send(peer, new PeerListMessage(known));
        }
    }

    /// <summary>A peer's listen addresses as others can use them: an unspecified host (0.0.0.0, ::) is replaced by
    /// the address its connection came from.</summary>
    private static IReadOnlyList<string> Advertised(HelloMessage hello, PeerSession session)
    {
        string observedHost = Membership.PeerAddress.TryParse(session.Address, out Membership.PeerAddress observed, out _) ? observed.Host : string.Empty;
        var result = new List<string>();
        foreach (string text in hello.ListenAddresses.Take(MessageLimits.MaxAddresses))
        {
            if (!Membership.PeerAddress.TryParse(text, out Membership.PeerAddress address, out _))
            {
                continue;
            }

            bool unspecified = address.Ip is { } ip && (ip.Equals(System.Net.IPAddress.Any) || ip.Equals(System.Net.IPAddress.IPv6Any));
            if (unspecified && observedHost.Length > 0)
            {
                address = new Membership.PeerAddress(observedHost, address.Port);
            }

            result.Add(address.ToString());
        }

        return result;
    }

    public void DeltaVerified(StoredDelta delta, PeerId from)
    {
        Interlocked.Increment(ref _deltasReceived);
        Metrics.DeltasIn.Inc();
        DeltaManifest m = delta.Delta.Manifest;
        PeerId origin = PeerId.FromPublicKey(m.Origin.Span);
        if (_parts.Rounds is not null)
        {
            float[] state;
            try
            {
                state = DeltaDecoder.DecodeFlat(m, delta.Payload.Span);
            }
            catch (ProtocolException ex)
            {
                DeltaRejected(from, delta.ContentIdHex, ex.Code, ex.Message);
                return;
            }

            _offers.Enqueue((delta, state));
            Audit(AuditEventKind.Received, origin, delta, System.Numerics.Tensors.TensorPrimitives.Norm(state), "accepted", null);
        }

        DeltaArrived?.Invoke(delta, from);
    }

    public void DeltaRejected(PeerId from, string? contentIdHex, ProtocolErrorCode code, string reason)
    {
        Interlocked.Increment(ref _deltasRejected);
        Metrics.DeltasRejected.WithLabels(code.ToString()).Inc();
        Log.DeltaRejected(_logger, from.Value, contentIdHex ?? "?", code.ToString(), reason);
        if (code is ProtocolErrorCode.BadSignature or ProtocolErrorCode.BadChunkHash)
        {
            _parts.Reputation?.RecordTransportFault(from);
        }

        _parts.Audit?.Append(new AuditRecord(AuditEventKind.Rejected, from.Value, contentIdHex ?? string.Empty, 0, double.NaN, double.NaN, double.NaN, "rejected", $"{code}: {reason}"));
    }

    public void ControlMessage(PeerId peer, WireMessage message)
    {
        if (message is ErrorMessage error)
        {
            // A peer reports that something this node sent it was rejected (SPEC.md §4.9); the connection stays.
            Log.PeerReportedError(_logger, peer.Value, error.Code.ToString(), error.Text);
        }

        // Pong feeds liveness only through the idle timeout of the connection; PeerList adds dial targets.
        if (message is PeerListMessage list && _parts.PeerBook is not null)
        {
            foreach (PeerEntry entry in list.Peers)
            {
                PeerId id = PeerId.FromPublicKey(entry.PublicKey.Span);
                foreach (string text in entry.Addresses)
                {
                    if (Membership.PeerAddress.TryParse(text, out Membership.PeerAddress address, out _))
                    {
                        AddDialTarget(address, id, entry.PublicKey.ToArray());
                    }
                }
            }
        }
    }

    private void Audit(AuditEventKind kind, PeerId origin, StoredDelta delta, double norm, string decision, string? reason)
    {
        DpParameters dp = delta.Delta.Manifest.Privacy;
        _parts.Audit?.Append(new AuditRecord(kind, origin.Value, delta.ContentIdHex, (long)delta.Delta.Manifest.Sequence, norm, dp.ClipNorm, dp.NoiseMultiplier, decision, reason));
    }
}
