using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace FedMesh.Node.Discovery;

public sealed partial class UdpMulticastTransport
{
    private async Task RescanLoopAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            var kick = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            lock (_lock)
            {
                _kick?.Dispose();
                _kick = kick;
            }

            try
            {
                await Task.Delay(_options.RescanInterval, _time, kick.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // An address-change event: scan now.
            }
            catch (OperationCanceledException)
            {
                return;
            }

            try
            {
                await RescanAsync().ConfigureAwait(false);
            }
            catch (ObjectDisposedException)
            {
                // Disposed while scanning: the loop ends with the transport.
                return;
            }
        }
    }

    /// <summary>
    /// Enumerates interfaces (in the transport's namespace), joins the groups on new ones, leaves vanished ones, and
    /// raises <see cref="InterfaceAdded"/> for interfaces that are new or whose addresses changed (they need a fresh
    /// announcement). A failed scan keeps the previous state.
    /// </summary>
    private async Task RescanAsync()
    {
        List<(int Index, string Name, IReadOnlyList<IPAddress> Addresses)> found;
        try
        {
            found = await InNamespace(ScanInterfaces).ConfigureAwait(false);
        }
        catch (Exception e) when (e is NetworkInformationException or IOException or UnauthorizedAccessException or ObjectDisposedException)
        {
            Log.ScanFailed(_logger, e.Message);
            return;
        }

        var announce = new List<MulticastInterface>();
        lock (_lock)
        {
            foreach (int gone in _joined.Keys.Except(found.Select(f => f.Index)).ToList())
            {
                Leave(gone, _joined[gone]);
                _joined.Remove(gone);
            }

            foreach (var (index, name, addresses) in found)
            {
                _joined.TryGetValue(index, out Joined? before);
                bool hasV4 = addresses.Any(a => a.AddressFamily == AddressFamily.InterNetwork);
                bool hasV6 = addresses.Any(a => a.AddressFamily == AddressFamily.InterNetworkV6);
                bool v4 = before?.V4 ?? false;
                bool v6 = before?.V6 ?? false;
                if (!v4 && hasV4 && _v4 is not null)
                {
                    v4 = Join(_v4, index, name);
                }

                if (!v6 && hasV6 && _v6 is not null)
                {
                    v6 = Join(_v6, index, name);
                }

                if (!v4 && !v6)
                {
                    continue;
                }

                var now = new Joined(name, v4, v6, addresses);
                _joined[index] = now;
                if (before is null || !before.Addresses.SequenceEqual(addresses) || before.V4 != v4 || before.V6 != v6)
                {
                    announce.Add(new MulticastInterface(index, name, addresses));
                }
            }

            Volatile.Write(ref _interfaces, [.. _joined.Select(j => new MulticastInterface(j.Key, j.Value.Name, j.Value.Addresses))]);
        }

        // The first scan happens inside StartAsync: its interfaces are the starting set, not "added after start".
        if (Interlocked.Exchange(ref _scannedOnce, 1) == 0)
        {
            return;
        }

        foreach (MulticastInterface iface in announce)
        {
            InterfaceAdded?.Invoke(iface);
        }
    }

    private List<(int Index, string Name, IReadOnlyList<IPAddress> Addresses)> ScanInterfaces()
    {
        var result = new List<(int, string, IReadOnlyList<IPAddress>)>();
        foreach (NetworkInterface ni in NetworkInterface.GetAllNetworkInterfaces())
        {
            // Unknown status is accepted: inside a network namespace .NET cannot read operstate from the host's /sys.
            if (ni.NetworkInterfaceType == NetworkInterfaceType.Loopback || !ni.SupportsMulticast
                || ni.OperationalStatus is not (OperationalStatus.Up or OperationalStatus.Unknown)
                || (_options.InterfaceNames is { } names && !names.Contains(ni.Name)))
            {
                continue;
            }

            IPInterfaceProperties props = ni.GetIPProperties();
            int index = IndexOf(ni, props);
            if (index <= 0)
            {
                continue;
            }

            IReadOnlyList<IPAddress> addresses = [.. props.UnicastAddresses.Select(u => u.Address)
                .Where(a => a.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6)
                .OrderBy(a => a.ToString(), StringComparer.Ordinal)];
            if (addresses.Count > 0)
            {
                result.Add((index, ni.Name, addresses));
            }
        }

        return result;
    }

    private static int IndexOf(NetworkInterface ni, IPInterfaceProperties props)
    {
        if (ni.Supports(NetworkInterfaceComponent.IPv4))
        {
            return props.GetIPv4Properties().Index;
        }

        return ni.Supports(NetworkInterfaceComponent.IPv6) ? props.GetIPv6Properties().Index : -1;
    }

    private bool Join(Socket socket, int index, string name)
    {
        bool v6 = socket.AddressFamily == AddressFamily.InterNetworkV6;
        try
        {
            if (v6)
            {
                socket.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.AddMembership, new IPv6MulticastOption(GroupV6, index));
            }
            else
            {
                socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.AddMembership, new MulticastOption(GroupV4, index));
            }

            Log.Joined(_logger, v6 ? "IPv6" : "IPv4", name, index);
            return true;
        }
        catch (SocketException e)
        {
            Log.JoinFailed(_logger, v6 ? "IPv6" : "IPv4", name, index, e.Message);
            return false;
        }
    }

    private void Leave(int index, Joined joined)
    {
        // The kernel drops memberships of a vanished interface itself; errors here only mean it already did.
        try
        {
            if (joined.V4)
            {
                _v4?.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.DropMembership, new MulticastOption(GroupV4, index));
            }
        }
        catch (SocketException)
        {
        }

        try
        {
            if (joined.V6)
            {
                _v6?.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.DropMembership, new IPv6MulticastOption(GroupV6, index));
            }
        }
        catch (SocketException)
        {
        }

        Log.Left(_logger, joined.Name, index);
    }
}
