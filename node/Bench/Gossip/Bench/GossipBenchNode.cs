using System.Globalization;
using System.Net;
using FedMesh.Node.Discovery;
using FedMesh.Node.Hosting;
using FedMesh.Node.Membership;
using FedMesh.Protocol.Deltas;
using FedMesh.Protocol.Identity;
using Microsoft.Extensions.Logging;

namespace FedMesh.Node.Gossip.Bench;

/// <summary>
/// One process of <c>fedmesh-bench gossip</c>: a relay-only node (the real runtime, no learner) that talks to the
/// parent over stdin/stdout. Lines out: "port P" (the port it bound: port 0, never a pre-picked one), "ready PEERS",
/// "verified", "bytes IN"; lines in: "ports P0,P1,…" (every node's port, by index), "publish", "report", "exit".
/// </summary>
internal static class GossipBenchNode
{
    public static async Task<int> RunAsync(int index, int degree, long sizeBytes, int seed, CancellationToken cancel)
    {
        using var loggers = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Warning).AddSimpleConsole(o => o.SingleLine = true));
        using NodeIdentity identity = NodeIdentity.Create();
        AdapterSchema schema = BenchSchema(sizeBytes);
        byte[] meshId = NodeRuntime.MeshIdFor("bench");
        byte[] baseHash = new byte[32];
        var local = new LocalMesh(meshId, baseHash, schema);

        var parts = new NodeParts
        {
            Identity = identity,
            Mesh = local,
            MeshName = "bench",
            Listen = new IPEndPoint(IPAddress.Loopback, 0),
            Seed = seed + index,
        };
        await using var runtime = new NodeRuntime(parts, loggers);
        runtime.DeltaArrived += (_, _) => Console.Out.WriteLine("verified");
        await runtime.StartAsync(cancel).ConfigureAwait(false);
        Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"port {runtime.ListenEndPoint!.Port}"));
        string portsLine = await Console.In.ReadLineAsync(cancel).ConfigureAwait(false) ?? string.Empty;
        int[] ports = portsLine.StartsWith("ports ", StringComparison.Ordinal)
            ? portsLine[6..].Split(',').Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToArray()
            : throw new InvalidDataException($"expected the ports line, got \"{portsLine}\"");

        // A random graph: each node dials `degree` others chosen from a seed shared by all processes, so the
        // union of dialled edges is the same graph in every process.
        var random = new Random(seed + index);
        foreach (int j in Enumerable.Range(0, ports.Length).Where(j => j != index).OrderBy(_ => random.Next()).Take(degree))
        {
            runtime.AddDialTarget(new PeerAddress("127.0.0.1", ports[j]));
        }

        // Ready once the dialled connections are up (inbound ones from others come on top).
        while (runtime.GetStatus().Peers.Count < Math.Min(degree, ports.Length - 1))
        {
            await Task.Delay(50, cancel).ConfigureAwait(false);
        }

        Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ready {runtime.GetStatus().Peers.Count}"));
        while (await Console.In.ReadLineAsync(cancel).ConfigureAwait(false) is { } line)
        {
            switch (line.Trim())
            {
                case "publish":
                    (SignedDelta delta, ReadOnlyMemory<byte> payload) = MakeDelta(identity, local, sizeBytes);
                    Console.Out.WriteLine("signed");
                    await runtime.PublishAsync(delta, payload).ConfigureAwait(false);
                    break;
                case "report":
                    Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"bytes {runtime.GetStatus().BytesIn}"));
                    break;
                case "exit":
                    return 0;
            }
        }

        return 0;
    }

    public static AdapterSchema BenchSchema(long sizeBytes) => new([new TensorInfo("bench.delta", [(int)(sizeBytes / sizeof(float))])]);

    private static (SignedDelta, ReadOnlyMemory<byte>) MakeDelta(NodeIdentity identity, LocalMesh mesh, long sizeBytes)
    {
        float[] values = new float[sizeBytes / sizeof(float)];
        var random = new Random(7);
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (float)(random.NextDouble() - 0.5);
        }

        EncodedDelta encoded = DeltaEncoder.EncodeFlat(mesh.Schema, values, TensorEncoding.Float32);
        SignedDelta delta = SignedDelta.Create(identity.SigningKey, new DeltaHeader
        {
            MeshId = mesh.MeshId,
            BaseModelHash = mesh.BaseModelHash,
            Schema = mesh.Schema,
            Sequence = 1,
            Timestamp = DateTimeOffset.UtcNow,
            Privacy = new DpParameters(0, 0, null),
        }, encoded);
        return (delta, encoded.Payload);
    }
}
