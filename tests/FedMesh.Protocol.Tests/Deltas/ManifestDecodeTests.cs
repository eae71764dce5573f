using FedMesh.Protocol.Deltas;

namespace FedMesh.Protocol.Tests.Deltas;

public class ManifestDecodeTests
{
    private static readonly DeltaManifest Valid = TestDeltas.Signed(TestDeltas.KeyFromSeed(1)).Delta.Manifest;

    private static string Rejects(byte[] bytes)
    {
        var e = Assert.Throws<ProtocolException>(() => DeltaManifest.Decode(bytes));
        Assert.Equal(ProtocolErrorCode.MalformedMessage, e.Code);
        return e.Message;
    }

    [Fact]
    public void Canonical_bytes_round_trip()
    {
        byte[] bytes = Valid.Encode();
        Assert.Equal(bytes, DeltaManifest.Decode(bytes).Encode());
    }

    [Fact]
    public void Every_truncation_is_rejected()
    {
        byte[] bytes = Valid.Encode();
        for (int n = 0; n < bytes.Length; n++)
        {
            Rejects(bytes[..n]);
        }
    }

    [Fact]
    public void Non_canonical_integer_encoding_is_rejected()
    {
        byte[] bytes = Valid.Encode();
        // Element 5 (sequence 1) follows the array header, version and four bin8 hashes: 1 + 1 + 4 × 34.
        int at = 1 + 1 + (4 * 34);
        Assert.Equal(0x01, bytes[at]);
        byte[] widened = [.. bytes[..at], 0xcf, 0, 0, 0, 0, 0, 0, 0, 1, .. bytes[(at + 1)..]];
        Assert.Contains("canonical", Rejects(widened), StringComparison.Ordinal);
    }

    [Fact]
    public void Inconsistent_sizes_and_caps_are_rejected_with_a_reason()
    {
        Assert.Contains("total_size", Rejects((Valid with { TotalSize = Valid.TotalSize - 4 }).EncodeUnchecked()), StringComparison.Ordinal);
        Assert.Contains("chunk", Rejects((Valid with { ChunkSize = 1 }).EncodeUnchecked()), StringComparison.Ordinal);
        Assert.Contains("scale", Rejects((Valid with { Tensors = [.. Valid.Tensors.Select(t => t with { Scale = 1f })] }).EncodeUnchecked()), StringComparison.Ordinal);
        Assert.Contains("sampling rate", Rejects((Valid with { Privacy = new DpParameters(1, 1, 2) }).EncodeUnchecked()), StringComparison.Ordinal);
        Assert.Contains("duplicate", Rejects((Valid with { Tensors = [Valid.Tensors[0], Valid.Tensors[0], Valid.Tensors[2]] }).EncodeUnchecked()), StringComparison.Ordinal);
        Assert.Contains("cap", Rejects(new byte[DeltaLimits.MaxManifestBytes + 1]), StringComparison.Ordinal);
    }

    [Fact]
    public void Encode_refuses_an_inconsistent_manifest()
    {
        Assert.Throws<ArgumentException>(() => (Valid with { TotalSize = 5 }).Encode());
    }
}
