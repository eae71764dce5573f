using System.Net;
using System.Net.Sockets;

namespace FedMesh.Node.Hosting;

/// <summary>Free loopback TCP ports for local meshes (demo, benchmarks): bind port 0, read it back, release.</summary>
internal static class LoopbackPorts
{
    /// <summary>
    /// <paramref name="count"/> distinct ports free at the time of the call. All are held until every one is chosen,
    /// so they differ; another process could still take one before the caller binds it (callers fail clearly then).
    /// </summary>
    public static int[] Free(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        listeners.ForEach(l => l.Start());
        int[] ports = listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        listeners.ForEach(l => l.Stop());
        return ports;
    }
}
