using System.Net;
using FedMesh.Node.Discovery;
using FedMesh.Node.Tests.Membership;
using Microsoft.Extensions.Time.Testing;

namespace FedMesh.Node.Tests.Discovery;

internal static class MdnsTestSupport
{
    public static MdnsService Service(int i, string mesh = "lab", int port = 7340) => new(TestIds.Id(i), mesh, port);

    public static MulticastPacket Packet(byte[] data, int iface = 1) => new(data, new IPEndPoint(IPAddress.Parse("192.0.2.99"), 5353), iface);

    /// <summary>Advances fake time in small steps, letting the background loops run, until the condition holds.</summary>
    public static async Task EventuallyAsync(Func<bool> condition, FakeTimeProvider? time, string what, int maxSteps = 300, int stepMs = 100)
    {
        for (int i = 0; i < maxSteps; i++)
        {
            if (condition())
            {
                return;
            }

            time?.Advance(TimeSpan.FromMilliseconds(stepMs));
            // A real pause only to let thread-pool continuations run; the protocol's time is the fake clock.
            await Task.Delay(10);
        }

        Assert.Fail($"timed out waiting for: {what}");
    }
}
