namespace FedMesh.Node.Membership;

/// <summary>Settings of the peer-sampling service (<see cref="PeerSampler"/>, Cyclon).</summary>
public sealed record PeerSamplingOptions
{
    public static readonly PeerSamplingOptions Default = new();

    /// <summary>
    /// Partial view size c. 8 ≥ 2 × the default fanout (3) leaves a choice of targets each round, and Cyclon keeps a
    /// view of c = 8 connected w.h.p. at 10⁴ nodes under 1% churn per cycle (Voulgaris et al. 2005, §5: c = 20 on
    /// 10⁵ nodes; connectivity needs c ≳ ln N).
    /// </summary>
    public int ViewSize { get; init; } = 8;

    /// <summary>Entries exchanged per shuffle, l ≤ c. c / 2 swaps half the view per cycle: in-degrees settle within
    /// a few cycles (Voulgaris et al. 2005 use l = 5 of c = 20; larger l mixes faster at more bytes).</summary>
    public int ShuffleLength { get; init; } = 4;

    public string? Problem()
    {
        if (ViewSize is < 1 or > 1024)
        {
            return "the peer-sampling view size must be between 1 and 1024";
        }

        return ShuffleLength < 1 || ShuffleLength > ViewSize ? "the shuffle length must be between 1 and the view size" : null;
    }
}
