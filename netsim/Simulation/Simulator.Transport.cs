using FedMesh.Node.Gossip;
using FedMesh.Protocol;
using FedMesh.Protocol.Deltas;
using FedMesh.Protocol.Identity;
using FedMesh.Protocol.Messages;
using FedMesh.Protocol.Wire;

namespace FedMesh.NetSim.Simulation;

/// <summary>Messages between engines: encoded at the sender, carried by the network, decoded at the receiver.</summary>
public sealed partial class Simulator
{
    internal int IndexOf(PeerId peer) => _byPeer.TryGetValue(peer, out int index) ? index : -1;

    internal void Transmit(SimNode from, PeerId peer, WireMessage message)
    {
        SimNode to = _nodes[_byPeer[peer]];
        byte[] body = MessageCodec.Encode(message);
        long bytes = body.Length + FrameHeaderBytes;
        int fromIncarnation = from.Incarnation, toIncarnation = to.Incarnation;
        int connection = ConnectionGeneration(from.Index, to.Index);
        from.BytesOut += bytes;
        FrameType type = message.Type;
        Network.Send(from.Index, to.Index, bytes, () =>
        {
            // A message to or from an earlier incarnation died with that process's connection.
            if (!to.Up || to.Incarnation != toIncarnation || from.Incarnation != fromIncarnation
                || ConnectionGeneration(from.Index, to.Index) != connection)
            {
                return;
            }

            to.BytesIn += bytes;
            to.Engine!.Receive(from.PeerId, MessageCodec.Decode(type, body));
        });
    }

    internal void Delivered(SimNode node, StoredDelta delta, PeerId from)
    {
        _verified++;
        float[] state = DeltaDecoder.DecodeFlat(delta.Delta.Manifest, delta.Payload.Span);
        if (node.Coordinator!.Offer(delta, state) is { } refused)
        {
            Log($"node {node.Index}: refused delta {delta.ContentIdHex[..12]} from node {IndexOf(from)}: {refused}");
        }

        DeltaReached?.Invoke(node.Index, delta, IndexOf(from));
    }

    internal void Rejected(SimNode node, PeerId from, string? contentIdHex, ProtocolErrorCode code, string reason)
    {
        _rejected++;
        Log($"node {node.Index}: rejected delta {contentIdHex?[..Math.Min(12, contentIdHex.Length)] ?? "?"} from node {IndexOf(from)}: {reason}");
    }

    /// <summary>Signs <paramref name="state"/> as node <paramref name="node"/>'s next release and publishes it through
    /// its engine, outside the round schedule (dissemination measurements and tests).</summary>
    public StoredDelta PublishState(int node, float[] state)
    {
        ArgumentNullException.ThrowIfNull(state);
        SimNode n = _nodes[node];
        if (!n.Up)
        {
            throw new InvalidOperationException($"node {node} is not up");
        }

        n.LastSequence = Math.Max(n.LastSequence + 1, (ulong)Clock.GetUtcNow().ToUnixTimeMilliseconds());
        EncodedDelta encoded = DeltaEncoder.EncodeFlat(Mesh.Schema, state, TensorEncoding.Float32);
        var header = new DeltaHeader
        {
            MeshId = Mesh.MeshId,
            BaseModelHash = Mesh.BaseModelHash,
            Schema = Mesh.Schema,
            Sequence = n.LastSequence,
            Timestamp = Clock.GetUtcNow(),
            Privacy = new DpParameters(0, 0, null),
        };
        n.Coordinator!.ResumeSequence(n.LastSequence);
        return n.Engine!.Publish(SignedDelta.Create(n.Key, header, encoded), encoded.Payload);
    }
}
