using System.Net;
using FedMesh.Node.Hosting;
using FedMesh.Node.Transport;
using FedMesh.Protocol;
using FedMesh.Protocol.Deltas;
using FedMesh.Protocol.Identity;
using FedMesh.Protocol.Messages;
using FedMesh.Protocol.Security;
using FedMesh.Protocol.Transport;
using Microsoft.Extensions.Logging.Abstractions;

namespace FedMesh.Node.Tests.Hosting;

/// <summary>
/// <see cref="NodeParts.SimulatedCrypto"/>, netsim's switch for its largest runs: the runtime refuses it over a transport
/// that leaves the process, and over in-memory pipes its sessions speak the simulated handshake only.
/// </summary>
public sealed class SimulatedCryptoWiringTests : IAsyncDisposable
{
    private const string MeshName = "simulated-crypto-test";
    private static readonly AdapterSchema Schema = new([new TensorInfo("w", [8])]);
    private static readonly IPAddress NodeAddress = IPAddress.Parse("10.0.0.1");
    private readonly CancellationTokenSource _guard = new(TimeSpan.FromSeconds(30));
    private readonly InMemoryNetwork _network = new();
    private readonly NodeIdentity _nodeId = NodeIdentity.Create();
    private readonly List<IAsyncDisposable> _owned = [];

    private CancellationToken Guard => _guard.Token;

    public async ValueTask DisposeAsync()
    {
        for (int i = _owned.Count - 1; i >= 0; i--)
        {
            await _owned[i].DisposeAsync();
        }

        _nodeId.Dispose();
        _guard.Dispose();
    }

    private NodeParts Parts(ITransportFactory transport) => new()
    {
        Identity = _nodeId,
        Mesh = new LocalMesh(NodeRuntime.MeshIdFor(MeshName), new byte[32], Schema),
        MeshName = MeshName,
        Listen = new IPEndPoint(NodeAddress, 0),
        Transport = transport,
        SimulatedCrypto = true,
    };

    [Fact]
    public void The_runtime_refuses_simulated_crypto_over_tcp()
    {
        var e = Assert.Throws<InvalidOperationException>(() => new NodeRuntime(Parts(TcpTransportFactory.Instance), NullLoggerFactory.Instance));
        Assert.Contains("in-process transport", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Over_in_memory_pipes_a_simulated_peer_gets_a_session_and_a_real_one_is_refused()
    {
        var node = new NodeRuntime(Parts(_network.Host(NodeAddress)), NullLoggerFactory.Instance);
        _owned.Add(node);
        await node.StartAsync(Guard);
        var handshake = HandshakeOptions.Default with { MeshId = MeshName };

        using NodeIdentity simulatedPeer = NodeIdentity.Create();
        TransportConnection first = await _network.Host(IPAddress.Parse("10.0.0.2")).ConnectAsync(node.ListenEndPoint!, Guard);
        _owned.Add(first);
        SecureConnection session = await SecureConnection.ConnectAsync(first.Pipe, simulatedPeer, new ConnectionOptions { Handshake = handshake, SimulatedCrypto = true }, cancellationToken: Guard);
        _owned.Add(session);
        Assert.True(session.Session.Simulated);
        Assert.Equal(_nodeId.PeerId, session.RemotePeerId);
        using (ReceivedFrame hello = await session.Incoming.ReadAsync(Guard))
        {
            Assert.IsType<HelloMessage>(MessageCodec.Decode(hello.Type, hello.Body));
        }

        using NodeIdentity realPeer = NodeIdentity.Create();
        TransportConnection second = await _network.Host(IPAddress.Parse("10.0.0.3")).ConnectAsync(node.ListenEndPoint!, Guard);
        _owned.Add(second);
        await Assert.ThrowsAsync<ProtocolException>(() => SecureConnection.ConnectAsync(second.Pipe, realPeer, new ConnectionOptions { Handshake = handshake }, cancellationToken: Guard));
    }
}
