using System.Net;
using FedMesh.Node.Discovery;
using FedMesh.Node.Discovery.Internal;
using Makaretu.Dns;
using Microsoft.Extensions.Time.Testing;
using static FedMesh.Node.Tests.Discovery.MdnsTestSupport;

namespace FedMesh.Node.Tests.Discovery;

public sealed class MdnsMessageTests
{
    private static readonly MdnsOptions Options = MdnsOptions.Default;
    private static readonly IPAddress[] Addresses = [IPAddress.Parse("192.0.2.1"), IPAddress.Parse("fe80::1")];

    private static MdnsPacketInfo RoundTrip(Message message, MdnsService self) =>
        MdnsMessages.Interpret(MdnsMessages.Decode(message.ToByteArray()), self, Options);

    [Fact]
    public void Announcement_round_trips_through_the_wire_format()
    {
        MdnsService a = Service(1, "lab", 7341);
        MdnsPacketInfo info = RoundTrip(MdnsMessages.BuildAnnouncement(a, Addresses, Options), Service(2));
        Assert.False(info.IsQuery);
        ServiceInstanceInfo instance = Assert.Single(info.Instances);
        Assert.Equal(a.PeerId, instance.PeerId);
        Assert.Equal("lab", instance.MeshId);
        Assert.Equal(7341, instance.Port);
        Assert.Equal(Addresses, instance.Addresses);
        Assert.False(instance.Goodbye);
        Assert.Equal(Options.HostRecordTtl, instance.Ttl);
        Assert.Equal(Options.OtherRecordTtl, instance.PtrTtl);
    }

    [Fact]
    public void Announcement_has_ptr_srv_txt_and_address_records_of_the_service()
    {
        MdnsService a = Service(1);
        Message m = MdnsMessages.Decode(MdnsMessages.BuildAnnouncement(a, Addresses, Options).ToByteArray());
        Assert.True(m.AA);
        Assert.Equal(0, m.Id);
        var all = m.Answers.Concat(m.AdditionalRecords).ToList();
        PTRRecord ptr = Assert.Single(all.OfType<PTRRecord>());
        Assert.Equal("_fedmesh._tcp.local", ptr.Name.ToString());
        Assert.Equal(a.InstanceName, ptr.DomainName.ToString());
        SRVRecord srv = Assert.Single(all.OfType<SRVRecord>());
        Assert.Equal(a.HostName, srv.Target.ToString());
        TXTRecord txt = Assert.Single(all.OfType<TXTRecord>());
        Assert.Equal([$"id={a.PeerId}", "mesh=lab", "v=1"], txt.Strings);
        Assert.Single(all.OfType<ARecord>());
        Assert.Single(all.OfType<AAAARecord>());
    }

    [Fact]
    public void Goodbye_has_ttl_zero_and_is_read_as_goodbye()
    {
        Message goodbye = MdnsMessages.BuildAnnouncement(Service(1), Addresses, Options, goodbye: true);
        Assert.All(goodbye.Answers.Concat(goodbye.AdditionalRecords), r => Assert.Equal(TimeSpan.Zero, r.TTL));
        Assert.True(Assert.Single(RoundTrip(goodbye, Service(2)).Instances).Goodbye);
    }

    [Fact]
    public void Query_for_the_service_must_be_answered_unless_it_lists_us_as_a_known_answer()
    {
        MdnsService self = Service(1);
        MdnsPacketInfo plain = RoundTrip(MdnsMessages.BuildQuery([]), self);
        Assert.True(plain.IsQuery);
        Assert.True(plain.AsksForService);
        Assert.True(plain.MustAnswer);

        MdnsPacketInfo known = RoundTrip(MdnsMessages.BuildQuery([(self.InstanceName, Options.OtherRecordTtl * 0.9)]), self);
        Assert.True(known.KnowsOurAnswer);
        Assert.False(known.MustAnswer);

        // RFC 6762 §7.1: a known answer with less than half its TTL left does not suppress the answer.
        MdnsPacketInfo stale = RoundTrip(MdnsMessages.BuildQuery([(self.InstanceName, Options.OtherRecordTtl * 0.4)]), self);
        Assert.True(stale.MustAnswer);

        // A known answer about someone else changes nothing for us.
        Assert.True(RoundTrip(MdnsMessages.BuildQuery([(Service(3).InstanceName, Options.OtherRecordTtl)]), self).MustAnswer);
    }

    [Fact]
    public void Cache_refresh_question_for_our_instance_is_answered_despite_a_known_answer()
    {
        MdnsService self = Service(1);
        MdnsPacketInfo info = RoundTrip(MdnsMessages.BuildQuery([(self.InstanceName, Options.OtherRecordTtl)], [self.InstanceName]), self);
        Assert.True(info.AsksForInstance);
        Assert.True(info.MustAnswer);
    }

    [Fact]
    public void Query_for_another_service_is_not_ours_to_answer()
    {
        var query = new Message { QR = false };
        query.Questions.Add(new Question { Name = "_http._tcp.local", Type = DnsType.PTR, Class = DnsClass.IN });
        Assert.False(RoundTrip(query, Service(1)).MustAnswer);
    }

    [Fact]
    public void Instance_with_wrong_version_or_id_not_matching_its_name_is_invalid()
    {
        MdnsService a = Service(1);
        Message m = MdnsMessages.BuildAnnouncement(a, Addresses, Options);
        TXTRecord txt = m.Answers.OfType<TXTRecord>().Single();
        txt.Strings = [$"id={Service(2).PeerId}", "mesh=lab", "v=1"];
        MdnsPacketInfo info = RoundTrip(m, Service(3));
        Assert.Empty(info.Instances);
        Assert.Equal(1, info.InvalidInstances);

        txt.Strings = [$"id={a.PeerId}", "mesh=lab", "v=2"];
        Assert.Equal(1, RoundTrip(m, Service(3)).InvalidInstances);
    }

    [Fact]
    public void Instances_per_packet_are_capped()
    {
        Message flood = MdnsMessages.BuildAnnouncement(Service(1), Addresses, Options);
        for (int i = 2; i < 50; i++)
        {
            Message other = MdnsMessages.BuildAnnouncement(Service(i), Addresses, Options);
            flood.Answers.AddRange(other.Answers);
        }

        Assert.Equal(MdnsMessages.MaxInstancesPerPacket, RoundTrip(flood, Service(99)).Instances.Count);
    }

    public static TheoryData<string, byte[]> MalformedPackets => new()
    {
        { "empty", [] },
        { "short header", [0, 0, 0x84, 0] },
        { "answer count without answers", [0, 0, 0x84, 0, 0, 0, 0, 5, 0, 0, 0, 0] },
        { "label longer than the packet", [0, 0, 0x84, 0, 0, 0, 0, 1, 0, 0, 0, 0, 60, (byte)'a'] },
        // A compression pointer pointing at itself (offset 12): must be rejected, not followed forever.
        { "compression pointer loop", [0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 12, 0, 12, 0, 1] },
        { "forward compression pointer", [0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 20, 0, 12, 0, 1, 0, 0, 1, (byte)'a', 0] },
    };

    [Theory]
    [MemberData(nameof(MalformedPackets))]
    public async Task Malformed_packets_are_counted_not_thrown(string what, byte[] packet)
    {
        var hub = new InMemoryMulticastHub();
        await using var discovery = new MdnsDiscovery(Service(1), hub.CreateTransport(), new FakeTimeProvider(), new Random(1));
        await discovery.HandlePacketAsync(Packet(packet), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(discovery.Counters.PacketsMalformed == 1, $"{what}: not counted as malformed");
        Assert.Empty(discovery.Known);
    }

    [Fact]
    public async Task Random_garbage_never_throws_and_never_yields_a_peer()
    {
        var hub = new InMemoryMulticastHub();
        var options = MdnsOptions.Default with { MaxPacketsPerSecond = 1e9, PacketBurst = 1e9 };
        await using var discovery = new MdnsDiscovery(Service(1), hub.CreateTransport(), new FakeTimeProvider(), new Random(1), options);
        var random = new Random(1234);
        byte[] valid = MdnsMessages.BuildAnnouncement(Service(2), Addresses, Options).ToByteArray();
        for (int i = 0; i < 2000; i++)
        {
            // Half pure noise, half a valid announcement with a few bytes flipped.
            byte[] packet = i % 2 == 0 ? new byte[random.Next(0, 600)] : (byte[])valid.Clone();
            if (i % 2 == 0)
            {
                random.NextBytes(packet);
            }
            else
            {
                for (int k = 0; k < 3; k++)
                {
                    packet[random.Next(packet.Length)] = (byte)random.Next(256);
                }
            }

            await discovery.HandlePacketAsync(Packet(packet), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        }

        Assert.Equal(2000, discovery.Counters.PacketsReceived);
        Assert.True(discovery.Counters.PacketsMalformed > 500, $"only {discovery.Counters.PacketsMalformed} counted malformed");
        Assert.All(discovery.Known, p => Assert.Equal(Service(2).PeerId, p.PeerId));
    }

    [Fact]
    public async Task Oversized_and_over_rate_packets_are_dropped_unparsed()
    {
        var hub = new InMemoryMulticastHub();
        var time = new FakeTimeProvider();
        var options = MdnsOptions.Default with { MaxPacketBytes = 100, MaxPacketsPerSecond = 1, PacketBurst = 2 };
        await using var discovery = new MdnsDiscovery(Service(1), hub.CreateTransport(), time, new Random(1), options);
        await discovery.HandlePacketAsync(Packet(new byte[101]), CancellationToken.None);
        Assert.Equal(1, discovery.Counters.PacketsTooLarge);
        for (int i = 0; i < 5; i++)
        {
            await discovery.HandlePacketAsync(Packet(new byte[10]), CancellationToken.None);
        }

        Assert.Equal(3, discovery.Counters.PacketsRateLimited);
        Assert.Equal(2, discovery.Counters.PacketsMalformed);
        time.Advance(TimeSpan.FromSeconds(1));
        await discovery.HandlePacketAsync(Packet(new byte[10]), CancellationToken.None);
        Assert.Equal(3, discovery.Counters.PacketsMalformed);
    }

    [Fact]
    public async Task Announcement_of_another_mesh_is_ignored()
    {
        var hub = new InMemoryMulticastHub();
        await using var discovery = new MdnsDiscovery(Service(1, "lab"), hub.CreateTransport(), new FakeTimeProvider(), new Random(1));
        byte[] other = MdnsMessages.BuildAnnouncement(Service(2, "elsewhere"), Addresses, Options).ToByteArray();
        await discovery.HandlePacketAsync(Packet(other), CancellationToken.None);
        Assert.Equal(1, discovery.Counters.OtherMeshIgnored);
        Assert.Empty(discovery.Known);

        byte[] same = MdnsMessages.BuildAnnouncement(Service(3, "lab"), Addresses, Options).ToByteArray();
        await discovery.HandlePacketAsync(Packet(same, iface: 4), CancellationToken.None);
        DiscoveredPeer peer = Assert.Single(discovery.Known);
        // The link-local address is scoped to the interface the packet came in on.
        Assert.Contains(new IPEndPoint(IPAddress.Parse("fe80::1%4"), 7340), peer.EndPoints);
        Assert.Contains(new IPEndPoint(IPAddress.Parse("192.0.2.1"), 7340), peer.EndPoints);
    }

    [Fact]
    public void Query_interval_doubles_from_one_second_to_sixty_minutes()
    {
        Assert.Equal(TimeSpan.FromSeconds(1), MdnsDiscovery.QueryInterval(0, Options));
        Assert.Equal(TimeSpan.FromSeconds(2), MdnsDiscovery.QueryInterval(1, Options));
        Assert.Equal(TimeSpan.FromSeconds(2048), MdnsDiscovery.QueryInterval(11, Options));
        Assert.Equal(TimeSpan.FromMinutes(60), MdnsDiscovery.QueryInterval(12, Options));
        Assert.Equal(TimeSpan.FromMinutes(60), MdnsDiscovery.QueryInterval(1000, Options));
    }
}
