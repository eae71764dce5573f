using System.Net;
using FedMesh.Protocol.Transport;

namespace FedMesh.Protocol.Tests.Transport;

public class TcpPipeListenerTests
{
    private static CancellationToken Guard => new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token;

    [Fact]
    public async Task An_IPv4_client_reaches_a_listener_on_the_IPv6_any_address()
    {
        // network.listen_address = "::" is documented as "all addresses"; IPv4 seeds must get through.
        using TcpPipeListener listener = TcpPipeListener.Start(new IPEndPoint(IPAddress.IPv6Any, 0));
        int port = listener.LocalEndPoint.Port;
        Task<TcpPipe> accepted = listener.AcceptAsync(Guard);

        await using TcpPipe client = await TcpPipe.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), Guard);
        await using TcpPipe server = await accepted;

        var remote = (IPEndPoint)server.RemoteEndPoint!;
        Assert.Equal(IPAddress.Loopback, remote.Address.IsIPv4MappedToIPv6 ? remote.Address.MapToIPv4() : remote.Address);
    }
}
