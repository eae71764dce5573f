using System.CommandLine;
using System.Security.Cryptography;
using System.Text.Json;
using FedMesh.Protocol.Identity;

namespace FedMesh.Node.Discovery;

/// <summary>
/// <c>fedmesh discover --mesh ID</c>: lists the FedMesh peers of a mesh announced on the local links, listening
/// for a few seconds without announcing anything (a throw-away identity, <see cref="MdnsOptions.Announce"/> off).
/// </summary>
public static class DiscoverCommand
{
    /// <summary>The querier asks at 20–120 ms, 1 s, 3 s and 7 s: 5 s covers three rounds of answers.</summary>
    private const int DefaultSeconds = 5;

    /// <summary>Upper bound so a typo cannot leave the command running for days.</summary>
    private const int MaxSeconds = 3600;

    public static Command Create()
    {
        var mesh = new Option<string>("--mesh") { Description = "Mesh id to look for (peers of other meshes are not listed).", Required = true };
        var seconds = new Option<int>("--seconds") { Description = $"How long to listen (1–{MaxSeconds}).", DefaultValueFactory = _ => DefaultSeconds };
        var port = new Option<int>("--port") { Description = "mDNS UDP port (5353 unless testing).", DefaultValueFactory = _ => MdnsOptions.MdnsPort };
        var json = new Option<bool>("--json") { Description = "Print one JSON object per peer." };
        var command = new Command("discover", "List FedMesh peers announced by mDNS on the local network.") { mesh, seconds, port, json };
        command.SetAction(async (parse, cancellationToken) =>
        {
            // Checked here rather than in a command validator, where System.CommandLine 2.0.0 does not apply defaults.
            string? error = Validate(parse.GetValue(mesh), parse.GetValue(seconds), parse.GetValue(port));
            if (error is not null)
            {
                await Console.Error.WriteLineAsync($"discover: {error}").ConfigureAwait(false);
                return 2;
            }

            var self = new MdnsService(PeerId.FromPublicKey(RandomNumberGenerator.GetBytes(PeerId.PublicKeyLength)), parse.GetValue(mesh)!, MdnsOptions.MdnsPort);
            await using var transport = new UdpMulticastTransport(TimeProvider.System, UdpMulticastOptions.Default with { Port = parse.GetValue(port) });
            await using var discovery = new MdnsDiscovery(self, transport, TimeProvider.System, new Random(), MdnsOptions.Default with { Announce = false });
            try
            {
                await discovery.StartAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is InvalidOperationException or System.Net.Sockets.SocketException)
            {
                await Console.Error.WriteLineAsync($"discover: {e.Message}").ConfigureAwait(false);
                return 1;
            }

            try
            {
                await Task.Delay(TimeSpan.FromSeconds(parse.GetValue(seconds)), cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }

            foreach (DiscoveredPeer peer in discovery.Known.OrderBy(p => p.PeerId.Value, StringComparer.Ordinal))
            {
                string[] endPoints = [.. peer.EndPoints.Select(e => e.ToString())];
                Console.WriteLine(parse.GetValue(json)
                    ? JsonSerializer.Serialize(new Dictionary<string, object> { ["id"] = peer.PeerId.Value, ["mesh"] = peer.MeshId, ["endpoints"] = endPoints })
                    : $"{peer.PeerId}  {string.Join(' ', endPoints)}");
            }

            return 0;
        });
        return command;
    }

    /// <summary>The first problem with the arguments, or null.</summary>
    public static string? Validate(string? mesh, int seconds, int port)
    {
        if (string.IsNullOrEmpty(mesh) || mesh.Length > Internal.MdnsMessages.MaxMeshIdLength)
        {
            return $"--mesh must be 1–{Internal.MdnsMessages.MaxMeshIdLength} characters";
        }

        if (seconds is < 1 or > MaxSeconds)
        {
            return $"--seconds must be between 1 and {MaxSeconds}, got {seconds}";
        }

        return port is < 1 or > 65535 ? $"--port must be between 1 and 65535, got {port}" : null;
    }
}
