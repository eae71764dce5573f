using System.Net;
using FedMesh.Node.Discovery;
using FedMesh.Node.Gossip;
using FedMesh.Node.Hosting;
using FedMesh.Node.Membership;
using FedMesh.Protocol.Deltas;
using FedMesh.Protocol.Identity;
using FedMesh.Protocol.Security;
using Microsoft.Extensions.Logging;

namespace FedMesh.Node.Tests.Hosting;

/// <summary>
/// Two real nodes over loopback TCP with the placed-chunk receive path on, as the daemon runs: neighbours mode,
/// int8 deltas of a small adapter (one chunk, far shorter than a full one), push on connect and announce on release.
/// Each must verify the other's delta.
/// </summary>
[Collection(FedMesh.Node.Tests.Integration.DaemonCollection.Name)]
public sealed class PlacedChunkExchangeTests
{
    private const string MeshName = "placed-exchange";

    /// <summary>~10 KB of int8: the size of the walk-through's first delta, one chunk.</summary>
    private static readonly AdapterSchema Schema = new([new TensorInfo("w", [10_000])]);

    private static readonly ILoggerFactory Loggers = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));

    [Fact]
    public async Task Two_nodes_with_placed_chunks_exchange_small_deltas_both_ways()
    {
        using var a = NodeIdentity.Create();
        using var b = NodeIdentity.Create();
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        await using var na = new NodeRuntime(Parts(a, 0), Loggers);
        var atA = new TaskCompletionSource<StoredDelta>(TaskCreationOptions.RunContinuationsAsynchronously);
        na.DeltaArrived += (d, _) => atA.TrySetResult(d);
        await na.StartAsync(guard.Token);

        // a's delta exists before b connects: it reaches b by push on connect.
        (SignedDelta fromA, byte[] payloadA) = Sign(a, 1, seed: 1);
        await na.PublishAsync(fromA, payloadA);

        await using var nb = new NodeRuntime(Parts(b, 0, na.ListenEndPoint!.Port), Loggers);
        var atB = new TaskCompletionSource<StoredDelta>(TaskCreationOptions.RunContinuationsAsynchronously);
        nb.DeltaArrived += (d, _) => atB.TrySetResult(d);
        await nb.StartAsync(guard.Token);
        while (na.GetStatus().Peers.Count == 0 || nb.GetStatus().Peers.Count == 0)
        {
            await Task.Delay(20, guard.Token);
        }

        // b's delta is released once connected: it reaches a by announcement.
        (SignedDelta fromB, byte[] payloadB) = Sign(b, 1, seed: 2);
        await nb.PublishAsync(fromB, payloadB);

        StoredDelta gotB = await atB.Task.WaitAsync(guard.Token);
        StoredDelta gotA = await atA.Task.WaitAsync(guard.Token);
        Assert.Equal(payloadA, gotB.Payload.ToArray());
        Assert.Equal(payloadB, gotA.Payload.ToArray());
    }

    private static NodeParts Parts(NodeIdentity id, int port, params int[] seeds) => new()
    {
        PlaceChunks = true,
        Identity = id,
        Mesh = new LocalMesh(NodeRuntime.MeshIdFor(MeshName), new byte[32], Schema),
        MeshName = MeshName,
        Listen = new IPEndPoint(IPAddress.Loopback, port),
        Seeds = seeds.Select(p => new Seed(new PeerAddress("127.0.0.1", p))).ToArray(),
        Gossip = GossipOptions.Default,
    };

    private static (SignedDelta Delta, byte[] Payload) Sign(NodeIdentity origin, ulong sequence, int seed) =>
        TestDeltas.Sign(origin, MeshName, Schema, sequence, seed, TensorEncoding.Int8);
}
