using FedMesh.Protocol.Deltas;
using FedMesh.Protocol.Messages;

namespace FedMesh.Protocol.Tests.Messages;

/// <summary>A message that breaks a cap is refused before it is encoded, with an error naming the field and the bound
/// (the error text is built only when a check fails, so these pin that it still says what was wrong).</summary>
public class OutgoingValidationTests
{
    private static readonly byte[] Id = new byte[32];

    private static ArgumentException Refused(WireMessage message) =>
        Assert.Throws<ArgumentException>(() => MessageCodec.Encode(message));

    [Fact]
    public void A_short_hash_names_the_field_and_its_length()
    {
        ArgumentException e = Refused(new HaveMessage(new byte[31], Id, 1, 10, 1));
        Assert.Equal("ContentId", e.ParamName);
        Assert.StartsWith("ContentId must be 32 bytes", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_out_of_range_size_names_the_bound()
    {
        ArgumentException e = Refused(new HaveMessage(Id, Id, 1, 0, 1));
        Assert.Equal("TotalSize", e.ParamName);
        Assert.StartsWith($"total size must be 1..{DeltaLimits.MaxTotalSize}", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_empty_address_in_a_peer_list_is_named()
    {
        ArgumentException e = Refused(new PeerListMessage([new PeerEntry(Id, [""])]));
        Assert.Equal("Addresses", e.ParamName);
        Assert.StartsWith("Addresses: empty address", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_valid_message_encodes()
    {
        Assert.NotEmpty(MessageCodec.Encode(new HaveMessage(Id, Id, 1, 10, 1)));
    }
}
