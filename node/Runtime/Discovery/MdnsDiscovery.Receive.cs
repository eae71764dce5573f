using System.Net;
using System.Net.Sockets;
using FedMesh.Node.Discovery.Internal;
using Makaretu.Dns;

namespace FedMesh.Node.Discovery;

public sealed partial class MdnsDiscovery
{
    private async Task ReceiveLoopAsync(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (MulticastPacket packet in _transport.Received.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                await HandlePacketAsync(packet, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Processes one untrusted packet. Never throws for bad input: drops and counts it.</summary>
    internal async Task HandlePacketAsync(MulticastPacket packet, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref Counters.PacketsReceivedField);
        if (packet.Data.Length > _options.MaxPacketBytes)
        {
            Interlocked.Increment(ref Counters.PacketsTooLargeField);
            return;
        }

        if (!_packetBudget.TryTake())
        {
            // Counted, logged only at debug: a flood must not also flood the log.
            Interlocked.Increment(ref Counters.PacketsRateLimitedField);
            return;
        }

        MdnsPacketInfo info;
        try
        {
            info = MdnsMessages.Interpret(MdnsMessages.Decode(packet.Data), _self, _options);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Makaretu throws a variety of exceptions on bad wire data (EndOfStream, InvalidData, KeyNotFound for
            // bad compression pointers, ArgumentOutOfRange, …); all mean "not a valid DNS message".
            Interlocked.Increment(ref Counters.PacketsMalformedField);
            Log.MalformedPacket(_logger, packet.Source.ToString(), e.GetType().Name, e.Message);
            return;
        }

        if (info.IsQuery)
        {
            await AnswerAsync(info, packet, cancellationToken).ConfigureAwait(false);
            return;
        }

        Interlocked.Add(ref Counters.InvalidInstancesField, info.InvalidInstances);
        foreach (ServiceInstanceInfo instance in info.Instances)
        {
            Track(instance, packet);
        }
    }

    private async Task AnswerAsync(MdnsPacketInfo query, MulticastPacket packet, CancellationToken cancellationToken)
    {
        if (!_options.Announce || !query.MustAnswer)
        {
            return;
        }

        MulticastInterface? iface = _transport.Interfaces.FirstOrDefault(i => i.Index == packet.InterfaceIndex);
        if (iface is null)
        {
            return;
        }

        long now = _time.GetTimestamp();
        lock (_lock)
        {
            if (_lastAnswerAt.TryGetValue(iface.Index, out long last) && _time.GetElapsedTime(last, now) < _options.MinAnswerInterval)
            {
                return;
            }
        }

        Interlocked.Increment(ref Counters.QueriesAnsweredField);
        await AnnounceAsync(iface, goodbye: false, cancellationToken).ConfigureAwait(false);
    }

    private void Track(ServiceInstanceInfo instance, MulticastPacket packet)
    {
        if (instance.PeerId == _self.PeerId)
        {
            return;
        }

        if (!string.Equals(instance.MeshId, _self.MeshId, StringComparison.Ordinal))
        {
            Interlocked.Increment(ref Counters.OtherMeshIgnoredField);
            Log.OtherMesh(_logger, instance.PeerId.Value, instance.MeshId);
            return;
        }

        DateTimeOffset now = _time.GetUtcNow();
        DiscoveredPeer? change = null;
        lock (_lock)
        {
            _peers.TryGetValue(instance.PeerId, out TrackedPeer? tracked);
            if (instance.Goodbye)
            {
                if (tracked is not null)
                {
                    _peers.Remove(instance.PeerId);
                    change = tracked.Peer with { Change = DiscoveryChange.Lost };
                }
            }
            else
            {
                IReadOnlyList<IPEndPoint> endPoints = EndPointsOf(instance, packet);
                if (tracked is null)
                {
                    if (_peers.Count >= _options.MaxPeers)
                    {
                        Interlocked.Increment(ref Counters.PeersRejectedFullField);
                        return;
                    }

                    var peer = new DiscoveredPeer(instance.PeerId, instance.MeshId, endPoints, DiscoveryChange.Found);
                    _peers[instance.PeerId] = new TrackedPeer(peer, now, instance.Ttl, instance.PtrTtl);
                    change = peer;
                }
                else
                {
                    tracked.ReceivedAt = now;
                    tracked.Ttl = instance.Ttl;
                    tracked.PtrTtl = instance.PtrTtl;
                    tracked.Refreshes = 0;
                    if (!tracked.Peer.EndPoints.SequenceEqual(endPoints))
                    {
                        tracked.Peer = tracked.Peer with { EndPoints = endPoints, Change = DiscoveryChange.Updated };
                        change = tracked.Peer;
                    }
                }
            }
        }

        if (change is not null)
        {
            Publish(change);
        }
    }

    /// <summary>
    /// Endpoints from the A/AAAA records (IPv6 link-local ones scoped to the interface the packet came in on, the
    /// only scope in which they mean anything); the packet's source address if the records carried none.
    /// </summary>
    private IReadOnlyList<IPEndPoint> EndPointsOf(ServiceInstanceInfo instance, MulticastPacket packet)
    {
        IEnumerable<IPAddress> addresses = instance.Addresses.Count > 0 ? instance.Addresses : [packet.Source.Address];
        return [.. addresses
            .Select(a =>
            {
                if (a.AddressFamily == AddressFamily.InterNetworkV6 && a.IsIPv6LinkLocal)
                {
                    a = new IPAddress(a.GetAddressBytes(), packet.InterfaceIndex);
                }

                return new IPEndPoint(a, instance.Port);
            })
            .Distinct()
            .Take(_options.MaxEndPointsPerPeer)];
    }
}
