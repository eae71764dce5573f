using System.Net;
using System.Net.Sockets;
using FedMesh.Protocol.Identity;
using Makaretu.Dns;

namespace FedMesh.Node.Discovery.Internal;

/// <summary>A FedMesh service instance read out of an mDNS response.</summary>
/// <param name="Ttl">Lifetime of the instance: its shortest-lived record.</param>
/// <param name="PtrTtl">TTL of the PTR record, reported back as a known answer.</param>
internal sealed record ServiceInstanceInfo(PeerId PeerId, string MeshId, int Port, IReadOnlyList<IPAddress> Addresses, bool Goodbye, TimeSpan Ttl, TimeSpan PtrTtl);

/// <summary>What one mDNS packet means to FedMesh discovery.</summary>
internal sealed record MdnsPacketInfo
{
    public bool IsQuery { get; init; }

    /// <summary>For a query: it asks for our service type's PTR.</summary>
    public bool AsksForService { get; init; }

    /// <summary>For a query: it asks directly for our instance (SRV/TXT) or host (A/AAAA), e.g. a cache refresh.</summary>
    public bool AsksForInstance { get; init; }

    /// <summary>For a query: whether the known-answer list already holds our PTR with at least half its TTL (RFC 6762 §7.1).</summary>
    public bool KnowsOurAnswer { get; init; }

    /// <summary>For a query: we must answer (a direct question, or a PTR question whose known answers lack us).</summary>
    public bool MustAnswer => AsksForInstance || (AsksForService && !KnowsOurAnswer);

    /// <summary>For a response: FedMesh instances it describes (any mesh, any version filtered out by the caller).</summary>
    public IReadOnlyList<ServiceInstanceInfo> Instances { get; init; } = [];

    /// <summary>Instances whose TXT was present but unusable (bad id, wrong version, id not matching the name).</summary>
    public int InvalidInstances { get; init; }
}

/// <summary>
/// Builds and reads the DNS-SD records of <c>_fedmesh._tcp.local</c> (RFC 6763) with Makaretu.Dns's message model.
/// Pure functions; the caller bounds packet size and catches parse errors.
/// </summary>
internal static class MdnsMessages
{
    /// <summary>RFC 6762 §10.2: the top bit of the class of a unique record tells caches to flush older data.</summary>
    private const DnsClass CacheFlushIn = (DnsClass)0x8001;

    /// <summary>Mesh ids are short operator-chosen names; 64 characters bounds what a TXT may claim.</summary>
    public const int MaxMeshIdLength = 64;

    /// <summary>
    /// FedMesh instances read from one packet at most. A responder announces one instance; a packet listing dozens
    /// is a flood, and the per-instance record lookups are linear, so the cap also bounds the work per packet.
    /// </summary>
    public const int MaxInstancesPerPacket = 16;

    public static readonly DomainName ServiceName = new(MdnsOptions.ServiceType);

    /// <summary>
    /// The full announcement (or, with <paramref name="goodbye"/>, the goodbye: every TTL 0, RFC 6762 §10.1):
    /// PTR service → instance, SRV instance → host:port, TXT id/mesh/v, A/AAAA host → <paramref name="addresses"/>.
    /// </summary>
    public static Message BuildAnnouncement(MdnsService service, IEnumerable<IPAddress> addresses, MdnsOptions options, bool goodbye = false)
    {
        TimeSpan hostTtl = goodbye ? TimeSpan.Zero : options.HostRecordTtl;
        TimeSpan otherTtl = goodbye ? TimeSpan.Zero : options.OtherRecordTtl;
        var instance = new DomainName(service.InstanceName);
        var host = new DomainName(service.HostName);
        // mDNS messages carry id 0 and are authoritative answers (RFC 6762 §18.1, §18.4).
        var message = new Message { QR = true, AA = true, Id = 0 };
        message.Answers.Add(new PTRRecord { Name = ServiceName, DomainName = instance, TTL = otherTtl, Class = DnsClass.IN });
        message.Answers.Add(new SRVRecord { Name = instance, Target = host, Port = checked((ushort)service.Port), TTL = hostTtl, Class = CacheFlushIn });
        message.Answers.Add(new TXTRecord
        {
            Name = instance,
            Strings = [$"id={service.PeerId}", $"mesh={service.MeshId}", $"v={MdnsOptions.TxtVersion}"],
            TTL = otherTtl,
            Class = CacheFlushIn,
        });
        foreach (IPAddress address in addresses)
        {
            ResourceRecord record = AddressRecord.Create(host, address);
            record.TTL = hostTtl;
            record.Class = CacheFlushIn;
            message.AdditionalRecords.Add(record);
        }

        return message;
    }

    /// <summary>
    /// A PTR query for the service type, listing the instances we already know as known answers (RFC 6762 §7.1),
    /// plus SRV questions for <paramref name="refresh"/> instances whose records near expiry (§5.2 cache maintenance).
    /// </summary>
    public static Message BuildQuery(IEnumerable<(string InstanceName, TimeSpan RemainingTtl)> knownAnswers, IEnumerable<string>? refresh = null)
    {
        var message = new Message { QR = false, Id = 0 };
        message.Questions.Add(new Question { Name = ServiceName, Type = DnsType.PTR, Class = DnsClass.IN });
        foreach (string name in refresh ?? [])
        {
            message.Questions.Add(new Question { Name = new DomainName(name), Type = DnsType.SRV, Class = DnsClass.IN });
        }

        foreach (var (name, ttl) in knownAnswers)
        {
            message.Answers.Add(new PTRRecord { Name = ServiceName, DomainName = new DomainName(name), TTL = ttl, Class = DnsClass.IN });
        }

        return message;
    }

    /// <summary>Decodes wire bytes; throws on malformed input (the caller counts and drops).</summary>
    public static Message Decode(byte[] packet)
    {
        var message = new Message();
        message.Read(packet, 0, packet.Length);
        return message;
    }

    /// <summary>Interprets a decoded message from FedMesh's point of view; <paramref name="self"/> is our own service.</summary>
    public static MdnsPacketInfo Interpret(Message message, MdnsService self, MdnsOptions options)
    {
        if (message.IsQuery)
        {
            var instance = new DomainName(self.InstanceName);
            var host = new DomainName(self.HostName);
            bool asksService = message.Questions.Any(q => q.Name == ServiceName && IsType(q.Type, DnsType.PTR));
            bool asksInstance = message.Questions.Any(q =>
                (q.Name == instance && (IsType(q.Type, DnsType.SRV) || IsType(q.Type, DnsType.TXT)))
                || (q.Name == host && (IsType(q.Type, DnsType.A) || IsType(q.Type, DnsType.AAAA))));
            bool knows = message.Answers.OfType<PTRRecord>().Any(p =>
                p.Name == ServiceName && p.DomainName == instance && p.TTL >= options.OtherRecordTtl / 2);
            return new MdnsPacketInfo { IsQuery = true, AsksForService = asksService, AsksForInstance = asksInstance, KnowsOurAnswer = knows };
        }

        var records = message.Answers.Concat(message.AdditionalRecords).ToList();
        var instances = new List<ServiceInstanceInfo>();
        int invalid = 0;
        foreach (PTRRecord ptr in records.OfType<PTRRecord>().Where(p => p.Name == ServiceName).DistinctBy(p => p.DomainName).Take(MaxInstancesPerPacket))
        {
            if (TryReadInstance(ptr, records, out ServiceInstanceInfo? info))
            {
                instances.Add(info);
            }
            else
            {
                invalid++;
            }
        }

        return new MdnsPacketInfo { Instances = instances, InvalidInstances = invalid };
    }

    private static bool TryReadInstance(PTRRecord ptr, List<ResourceRecord> records, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ServiceInstanceInfo? info)
    {
        info = null;
        DomainName instance = ptr.DomainName;
        if (instance.Labels.Count == 0 || instance.Parent() != ServiceName)
        {
            return false;
        }

        SRVRecord? srv = records.OfType<SRVRecord>().FirstOrDefault(r => r.Name == instance);
        TXTRecord? txt = records.OfType<TXTRecord>().FirstOrDefault(r => r.Name == instance);
        bool goodbye = ptr.TTL == TimeSpan.Zero;
        if (txt is null || (srv is null && !goodbye))
        {
            return false;
        }

        string? id = TxtValue(txt, "id");
        string? mesh = TxtValue(txt, "mesh");
        string? version = TxtValue(txt, "v");
        if (version != MdnsOptions.TxtVersion || mesh is null || mesh.Length is 0 or > MaxMeshIdLength
            || !PeerId.TryParse(id, out PeerId peerId, out _)
            || !string.Equals(instance.Labels[0], peerId.Value, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var addresses = new List<IPAddress>();
        if (srv is not null)
        {
            foreach (AddressRecord a in records.OfType<AddressRecord>().Where(r => r.Name == srv.Target && r.TTL > TimeSpan.Zero))
            {
                if (a.Address.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6)
                {
                    addresses.Add(a.Address);
                }
            }
        }

        int port = srv?.Port ?? 0;
        if (!goodbye && port == 0)
        {
            return false;
        }

        // The instance lives as long as its shortest-lived record (RFC 6762 §10: SRV/A expire sooner than PTR/TXT).
        TimeSpan ttl = srv is null || srv.TTL > ptr.TTL ? ptr.TTL : srv.TTL;
        info = new ServiceInstanceInfo(peerId, mesh, port, addresses, goodbye, ttl, ptr.TTL);
        return true;
    }

    /// <summary>Value of <c>key=value</c> in a TXT record (RFC 6763 §6.3: keys are case-insensitive, first occurrence wins).</summary>
    public static string? TxtValue(TXTRecord txt, string key)
    {
        foreach (string s in txt.Strings)
        {
            int eq = s.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0 && string.Equals(s[..eq], key, StringComparison.OrdinalIgnoreCase))
            {
                return s[(eq + 1)..];
            }
        }

        return null;
    }

    private static bool IsType(DnsType asked, DnsType wanted) => asked == wanted || asked == DnsType.ANY;
}
