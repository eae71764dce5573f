using System.Security.Cryptography;
using FedMesh.Protocol.Deltas;
using FedMesh.Protocol.Identity;

namespace FedMesh.Protocol.Tests;

public class IdentityBasicsTests
{
    [Fact]
    public void Peer_id_matches_the_spec_vector()
    {
        byte[] publicKey = SpecVectors.Bytes("peer-id", "public_key");
        Assert.Equal(SpecVectors.Text("peer-id", "peer_id_text"), PeerId.FromPublicKey(publicKey).Value);
    }

    [Fact]
    public void Adapter_schema_hash_matches_the_spec_vector()
    {
        var schema = new AdapterSchema([
            new TensorInfo("layers.0.attn.q.lora_a", [8, 128]),
            new TensorInfo("layers.0.attn.q.lora_b", [128, 8]),
        ]);
        Assert.Equal(SpecVectors.Text("adapter-schema", "hash"), schema.HashHex);
    }

    [Fact]
    public void Base32_round_trips_every_length()
    {
        var rng = new Random(7);
        for (int n = 0; n < 40; n++)
        {
            byte[] data = new byte[n];
            rng.NextBytes(data);
            string text = Base32.Encode(data);
            Assert.True(Base32.TryDecode(text, out byte[] back));
            Assert.Equal(data, back);
        }
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("abc", "26 base32 characters")]
    [InlineData("abcdefghijklmnopqrstuvwxy1", "not valid base32")]
    public void Peer_id_parse_errors_say_what_is_wrong(string text, string expected)
    {
        Assert.False(PeerId.TryParse(text, out _, out string error));
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Peer_id_parse_accepts_upper_case()
    {
        PeerId id = PeerId.FromPublicKey(RandomNumberGenerator.GetBytes(32));
        Assert.Equal(id, PeerId.Parse(id.Value.ToUpperInvariant()));
    }

    [Fact]
    public void Peer_ids_hash_and_compare_as_their_text_however_they_were_made()
    {
        byte[] key = RandomNumberGenerator.GetBytes(32);
        PeerId derived = PeerId.FromPublicKey(key), cached = PeerId.FromPublicKey(key), parsed = PeerId.Parse(derived.Value);
        PeerId other = PeerId.FromPublicKey(RandomNumberGenerator.GetBytes(32));

        // The hash a table uses is the text's own (the runtime's randomized string hash), from every way of making an id.
        foreach (PeerId id in new[] { derived, cached, parsed })
        {
            Assert.Equal(derived.Value.GetHashCode(StringComparison.Ordinal), id.GetHashCode());
            Assert.True(id == derived);
            Assert.Equal(derived, id);
        }

        Assert.NotEqual(derived, other);
        Assert.True(derived != other);
        Assert.NotEqual(default, derived);
        Assert.Equal(default(PeerId), default);
        Assert.Equal(0, default(PeerId).GetHashCode());
        var table = new Dictionary<PeerId, int> { [derived] = 1, [other] = 2 };
        Assert.Equal(1, table[parsed]);
        Assert.Equal(2, table[PeerId.Parse(other.Value.ToUpperInvariant())]);
    }

    [Fact]
    public void Schema_rejects_duplicates_and_bad_shapes()
    {
        Assert.Throws<ArgumentException>(() => new AdapterSchema([new TensorInfo("a", [1]), new TensorInfo("a", [2])]));
        Assert.Throws<ArgumentException>(() => new TensorInfo("a", [0]));
        Assert.Throws<ArgumentException>(() => new TensorInfo("a", [1, 1, 1, 1, 1]));
    }
}

public class MeshIdTests
{
    [Fact]
    public void Mesh_id_matches_the_spec_vector() =>
        Assert.Equal(
            SpecVectors.Text("mesh-id", "mesh_id"),
            Convert.ToHexStringLower(MeshId.FromName(SpecVectors.Text("mesh-id", "name_text"))));
}
