using System.Diagnostics;
using System.Net;
using FedMesh.Node.Discovery;
using static FedMesh.Node.Tests.Discovery.MdnsTestSupport;

namespace FedMesh.Node.Tests.Discovery;

/// <summary>
/// Real UDP multicast between two network namespaces joined by a veth pair (root and iproute2 only; skipped
/// otherwise). Traffic never leaves the namespaces this test creates, and it deletes them afterwards.
/// </summary>
public sealed class NetnsMdnsTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    // Unique per run so that a crashed earlier run's leftovers cannot collide (Linux interface names ≤ 15 chars).
    private readonly string _tag = $"{Environment.ProcessId % 10000}{Random.Shared.Next(1000):D3}";
    private readonly List<IAsyncDisposable> _disposables = [];
    private readonly List<string> _namespaces = [];
    private readonly List<UdpMulticastTransport> _transports = [];

    private string NsA => $"fmA{_tag}";

    private string NsB => $"fmB{_tag}";

    private string VethA => $"fmva{_tag}";

    private string VethB => $"fmvb{_tag}";

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (IAsyncDisposable d in Enumerable.Reverse(_disposables))
        {
            await d.DisposeAsync();
        }

        foreach (string ns in _namespaces)
        {
            TryIp($"netns del {ns}");
        }
    }

    [SkippableTheory]
    [InlineData(true, true, false)]
    [InlineData(true, false, true)]
    [InlineData(false, true, true)]
    public async Task Two_instances_in_two_namespaces_find_each_other_over_a_veth_pair(bool ipv4, bool ipv6, bool interfaceAppearsAfterStart)
    {
        SkipUnlessNetnsUsable();
        foreach (string ns in new[] { NsA, NsB })
        {
            Ip($"netns add {ns}");
            _namespaces.Add(ns);
        }

        if (!interfaceAppearsAfterStart)
        {
            CreateVethPair();
        }

        MdnsDiscovery a = await StartNodeAsync(1, NsA, ipv4, ipv6);
        MdnsDiscovery b = await StartNodeAsync(2, NsB, ipv4, ipv6);
        if (interfaceAppearsAfterStart)
        {
            // Both nodes are running with no usable interface; the link is plugged in now.
            Assert.Empty(a.Known);
            CreateVethPair();
        }

        var stopwatch = Stopwatch.StartNew();
        while (!(a.Known.Count == 1 && b.Known.Count == 1))
        {
            Assert.True(stopwatch.Elapsed < Deadline, $"not found within {Deadline.TotalSeconds} s: a knows {a.Known.Count}, b knows {b.Known.Count}; a received {a.Counters.PacketsReceived} packets, b {b.Counters.PacketsReceived}");
            await Task.Delay(50);
        }

        DiscoveredPeer seenByA = a.Known.Single();
        Assert.Equal(Service(2).PeerId, seenByA.PeerId);
        Assert.All(seenByA.EndPoints, e => Assert.Equal(7342, e.Port));
        Assert.Contains(new IPEndPoint(IPAddress.Parse("10.251.0.2"), 7342), seenByA.EndPoints);
        Assert.Contains(seenByA.EndPoints, e => e.Address.IsIPv6LinkLocal && e.Address.ScopeId > 0);
        Assert.Contains(new IPEndPoint(IPAddress.Parse("10.251.0.1"), 7341), b.Known.Single().EndPoints);
        Assert.Equal(0, a.Counters.PacketsMalformed);

        // Goodbye travels over the real link too.
        await b.StopAsync();
        stopwatch.Restart();
        while (a.Known.Count != 0)
        {
            Assert.True(stopwatch.Elapsed < Deadline, "goodbye not received");
            await Task.Delay(50);
        }

        // The link disappears (deleting one end of a veth pair deletes both): the transports drop it.
        UdpMulticastTransport transportA = _transports[0];
        Assert.Single(transportA.Interfaces);
        Ip($"-n {NsA} link del {VethA}");
        stopwatch.Restart();
        while (transportA.Interfaces.Count != 0)
        {
            Assert.True(stopwatch.Elapsed < Deadline, "vanished interface still listed");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task Missing_network_namespace_fails_start_with_a_clear_error()
    {
        await using var transport = new UdpMulticastTransport(TimeProvider.System, new UdpMulticastOptions { NetworkNamespacePath = "/run/netns/fedmesh-no-such-namespace" });
        var e = await Assert.ThrowsAsync<IOException>(() => transport.StartAsync(CancellationToken.None));
        Assert.Contains("fedmesh-no-such-namespace", e.Message, StringComparison.Ordinal);
    }

    private async Task<MdnsDiscovery> StartNodeAsync(int i, string ns, bool ipv4, bool ipv6)
    {
        var transport = new UdpMulticastTransport(TimeProvider.System, new UdpMulticastOptions
        {
            NetworkNamespacePath = $"/run/netns/{ns}",
            UseIPv4 = ipv4,
            UseIPv6 = ipv6,
            // Fast rescans: the test plugs the link in after start and should not wait 5 s for it.
            RescanInterval = TimeSpan.FromMilliseconds(200),
        });
        _disposables.Add(transport);
        _transports.Add(transport);
        var discovery = new MdnsDiscovery(Service(i, "lab", 7340 + i), transport, TimeProvider.System, new Random(i));
        _disposables.Add(discovery);
        await discovery.StartAsync(CancellationToken.None);
        return discovery;
    }

    private void CreateVethPair()
    {
        Ip($"link add {VethA} netns {NsA} type veth peer name {VethB} netns {NsB}");
        foreach (var (ns, dev, v4, v6) in new[] { (NsA, VethA, "10.251.0.1/24", "fe80::a/64"), (NsB, VethB, "10.251.0.2/24", "fe80::b/64") })
        {
            // A fixed link-local address without duplicate address detection, so IPv6 is usable at once.
            Ip($"-n {ns} link set dev {dev} addrgenmode none");
            Ip($"-n {ns} addr add {v6} dev {dev} nodad");
            Ip($"-n {ns} addr add {v4} dev {dev}");
            Ip($"-n {ns} link set dev {dev} up");
        }
    }

    private static string? IpPath => new[] { "/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip" }.FirstOrDefault(File.Exists);

    private static void SkipUnlessNetnsUsable()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "network namespaces are Linux-only");
        Skip.IfNot(Environment.IsPrivilegedProcess, "needs root to create network namespaces");
        Skip.If(IpPath is null, "needs iproute2's 'ip' (Debian package iproute2)");
        string probe = $"fmprobe{Environment.ProcessId % 100000}";
        (int code, string error) = Run($"netns add {probe}");
        TryIp($"netns del {probe}");
        Skip.If(code != 0, $"'ip netns add' does not work here: {error}");
    }

    private static void Ip(string args)
    {
        (int code, string error) = Run(args);
        if (code != 0)
        {
            throw new InvalidOperationException($"ip {args} failed ({code}): {error}");
        }
    }

    private static void TryIp(string args) => Run(args);

    private static (int Code, string Error) Run(string args)
    {
        var psi = new ProcessStartInfo(IpPath ?? "ip", args) { RedirectStandardError = true, RedirectStandardOutput = true };
        using Process process = Process.Start(psi)!;
        string error = process.StandardError.ReadToEnd();
        process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(10_000))
        {
            process.Kill();
            return (-1, "timed out");
        }

        return (process.ExitCode, error.Trim());
    }
}
