using System.Net;
using System.Threading.Channels;

namespace FedMesh.Node.Discovery;

/// <summary>
/// An in-process stand-in for link-local multicast: named links (think "a LAN segment"), transports attached to
/// links as interfaces, every packet sent on a link delivered to every other transport attached to it. Interfaces
/// can be attached after start, like a cable plugged in later. Used by tests and the simulator.
/// </summary>
public sealed class InMemoryMulticastHub
{
    private readonly Lock _lock = new();
    private readonly List<(string Link, Transport Transport, MulticastInterface Interface)> _attachments = [];

    /// <summary>Creates an unattached transport; <paramref name="queueCapacity"/> bounds its receive queue.</summary>
    public IMulticastTransport CreateTransport(int queueCapacity = 256) => new Transport(this, queueCapacity);

    /// <summary>Attaches <paramref name="transport"/> to <paramref name="link"/> through a new interface with the given addresses.</summary>
    public MulticastInterface Attach(IMulticastTransport transport, string link, params IPAddress[] addresses)
    {
        if (transport is not Transport t || t.Hub != this)
        {
            throw new ArgumentException("transport was not created by this hub", nameof(transport));
        }

        MulticastInterface iface;
        lock (_lock)
        {
            iface = new MulticastInterface(t.NextIndex(), link, addresses);
            _attachments.Add((link, t, iface));
        }

        t.Add(iface);
        return iface;
    }

    private void Deliver(Transport from, int interfaceIndex, byte[] packet)
    {
        List<(Transport, MulticastInterface)> targets;
        IPEndPoint source;
        lock (_lock)
        {
            var origin = _attachments.FirstOrDefault(a => a.Transport == from && a.Interface.Index == interfaceIndex);
            if (origin.Transport is null)
            {
                return;
            }

            source = new IPEndPoint(origin.Interface.Addresses.FirstOrDefault() ?? IPAddress.Any, MdnsOptions.MdnsPort);
            targets = [.. _attachments.Where(a => a.Link == origin.Link && a.Transport != from).Select(a => (a.Transport, a.Interface))];
        }

        foreach (var (transport, iface) in targets)
        {
            transport.Enqueue(new MulticastPacket((byte[])packet.Clone(), source, iface.Index));
        }
    }

    private sealed class Transport(InMemoryMulticastHub hub, int queueCapacity) : IMulticastTransport
    {
        private readonly Channel<MulticastPacket> _received = Channel.CreateBounded<MulticastPacket>(
            new BoundedChannelOptions(queueCapacity) { FullMode = BoundedChannelFullMode.DropWrite });

        private readonly Lock _lock = new();
        private List<MulticastInterface> _interfaces = [];
        private int _nextIndex;
        private bool _started;

        public event Action<MulticastInterface>? InterfaceAdded;

        public InMemoryMulticastHub Hub { get; } = hub;

        public IReadOnlyList<MulticastInterface> Interfaces
        {
            get
            {
                lock (_lock)
                {
                    return _interfaces;
                }
            }
        }

        public ChannelReader<MulticastPacket> Received => _received.Reader;

        public int NextIndex() => Interlocked.Increment(ref _nextIndex);

        public void Add(MulticastInterface iface)
        {
            bool started;
            lock (_lock)
            {
                _interfaces = [.. _interfaces, iface];
                started = _started;
            }

            if (started)
            {
                InterfaceAdded?.Invoke(iface);
            }
        }

        public void Enqueue(MulticastPacket packet) => _received.Writer.TryWrite(packet);

        public Task StartAsync(CancellationToken cancellationToken)
        {
            lock (_lock)
            {
                _started = true;
            }

            return Task.CompletedTask;
        }

        public Task SendAsync(ReadOnlyMemory<byte> packet, int interfaceIndex, CancellationToken cancellationToken)
        {
            Hub.Deliver(this, interfaceIndex, packet.ToArray());
            return Task.CompletedTask;
        }

        public ValueTask DisposeAsync()
        {
            _received.Writer.TryComplete();
            lock (Hub._lock)
            {
                Hub._attachments.RemoveAll(a => a.Transport == this);
            }

            return ValueTask.CompletedTask;
        }
    }
}
