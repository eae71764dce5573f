using FedMesh.Node.Discovery;
using FedMesh.Node.Tests.Membership;

namespace FedMesh.Node.Tests.Discovery;

public sealed class SeedTests
{
    [Theory]
    [InlineData("10.0.0.1:7340", "10.0.0.1", 7340)]
    [InlineData("  node-1.example.org:1 ", "node-1.example.org", 1)]
    [InlineData("localhost:65535", "localhost", 65535)]
    [InlineData("node-1.example.org.:7340", "node-1.example.org.", 7340)]
    [InlineData("[2001:db8::1]:7340", "2001:db8::1", 7340)]
    [InlineData("[::1]:80", "::1", 80)]
    [InlineData("[fe80::1%2]:7340", "fe80::1%2", 7340)]
    public void Host_and_port_forms_parse(string text, string host, int port)
    {
        Assert.True(Seed.TryParse(text, out Seed seed, out string error), error);
        Assert.Equal(host, seed.Address.Host);
        Assert.Equal(port, seed.Address.Port);
        Assert.Null(seed.Id);
    }

    [Fact]
    public void Peer_id_prefix_parses_and_round_trips()
    {
        string id = TestIds.Id(5).Value;
        Assert.True(Seed.TryParse($"{id.ToUpperInvariant()}@[2001:db8::5]:7340", out Seed seed, out string error), error);
        Assert.Equal(TestIds.Id(5), seed.Id);
        Assert.Equal($"{id}@[2001:db8::5]:7340", seed.ToString());
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("10.0.0.1", "missing ':port'")]
    [InlineData("2001:db8::1:7340", "brackets")]
    [InlineData("[2001:db8::1]7340", "[address]:port")]
    [InlineData("[10.0.0.1]:7340", "not an IPv6 address")]
    [InlineData("host:0", "1 to 65535")]
    [InlineData("host:70000", "1 to 65535")]
    [InlineData("host:+80", "1 to 65535")]
    [InlineData("host:", "1 to 65535")]
    [InlineData(":7340", "host is empty")]
    [InlineData("bad_host!:80", "neither an IPv4 address nor a valid DNS name")]
    [InlineData("-bad.example:80", "valid DNS name")]
    [InlineData("a..example:80", "valid DNS name")]
    [InlineData("a.bad-.example:80", "valid DNS name")]
    [InlineData("example.:80:80", "brackets")]
    [InlineData("1.2.3:80", "not a valid one")]
    [InlineData("300.1.1.1:80", "not a valid one")]
    [InlineData("notapeerid@10.0.0.1:80", "peer id before '@'")]
    [InlineData("@10.0.0.1:80", "peer id before '@'")]
    public void Bad_entries_are_rejected_with_a_reason(string text, string reason)
    {
        Assert.False(Seed.TryParse(text, out _, out string error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Overlong_entries_are_rejected_before_parsing()
    {
        Assert.False(Seed.TryParse(new string('a', 10_000) + ":80", out _, out string error));
        Assert.Contains("longer than", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Seed_list_error_names_every_bad_entry_with_its_position()
    {
        var e = Assert.Throws<FormatException>(() => Seed.ParseList(["10.0.0.1:7340", "nope", "[::1]:7340", "host:99999"]));
        Assert.Contains("seed #2 'nope'", e.Message, StringComparison.Ordinal);
        Assert.Contains("seed #4 'host:99999'", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("#1", e.Message, StringComparison.Ordinal);
        Assert.Equal(2, Seed.ParseList(["10.0.0.1:7340", "[::1]:7340"]).Count);
    }
}
