namespace FedMesh.Node.Membership;

/// <summary>Settings of the peer-sampling service (<see cref="PeerSampler"/>, Cyclon) and of the overlay the node keeps
/// from it (configuration section <c>[membership]</c>, SPEC.md §9.10).</summary>
public sealed record PeerSamplingOptions
{
    public static readonly PeerSamplingOptions Default = new();

    /// <summary>Largest view size accepted: Cyclon needs c ≳ ln N for a connected overlay, so 1024 is far beyond any
    /// mesh, and it keeps a view's work per shuffle trivially small.</summary>
    public const int MaxViewSize = 1024;

    /// <summary>
    /// Partial view size c. 8 ≥ 2 × the default fanout (3) leaves a choice of targets each round, and Cyclon keeps a
    /// view of c = 8 connected w.h.p. at 10⁴ nodes under 1% churn per cycle (Voulgaris et al. 2005, §5: c = 20 on
    /// 10⁵ nodes; connectivity needs c ≳ ln N).
    /// </summary>
    public int ViewSize { get; init; } = 8;

    /// <summary>Entries exchanged per shuffle, l ≤ c. c / 2 swaps half the view per cycle: in-degrees settle within
    /// a few cycles (Voulgaris et al. 2005 use l = 5 of c = 20; larger l mixes faster at more bytes).</summary>
    public int ShuffleLength { get; init; } = 4;

    /// <summary>One Cyclon cycle every 10 s: a dead view entry is aged out within about c = 8 cycles (80 s), and a
    /// shuffle's two PeerLists (≤ 4 entries each, ≈ 0.5 KB) every 10 s cost nothing next to a round's deltas.</summary>
    public TimeSpan ShufflePeriod { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long a session this node dialled may stay outside its view before it is closed (hysteresis): 60 s, six
    /// shuffle periods. Cyclon swaps up to l entries per cycle, so a peer often leaves a view and comes back within a
    /// few cycles; closing at once would redial it moments later (a handshake and a Hello catch-up each time). A
    /// minute bounds the lingering sessions to the few that left within the last six cycles, and is still well under a
    /// default round period's two (30 s) so a node's degree follows its view within a couple of rounds.
    /// </summary>
    public TimeSpan OutOfViewGrace { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Most sessions other nodes may dial to this one; 0 (default) means <see cref="ViewSize"/> +
    /// <see cref="InboundMargin"/>. Every node dials at most c = view size peers, so the mean in-degree is at most c;
    /// without a cap the joiners of a mesh all dial the seeds they were given and a seed's degree grows with N
    /// (measured 14–15 sessions at N = 16, up to 29 at N = 48 with c = 8). A node over the cap answers the newcomer's
    /// Hello with its peer list and Bye(Overloaded) (SPEC.md §9.10), so the refused node dials others instead.
    /// </summary>
    public int MaxInboundSessions { get; init; }

    /// <summary>Inbound sessions allowed above the view size when <see cref="MaxInboundSessions"/> is 0: Cyclon's
    /// in-degrees spread a little around c as views shuffle, and a margin of 2 keeps ordinary nodes from refusing (a
    /// refusal costs a handshake and a redial elsewhere) while a hot spot such as a seed stays near c.</summary>
    public const int InboundMargin = 2;

    /// <summary>Largest explicit inbound cap accepted (far above any useful degree; bounds what a config can ask).</summary>
    public const int MaxInboundLimit = 65535;

    /// <summary>The inbound cap in force: <see cref="MaxInboundSessions"/>, or view size + <see cref="InboundMargin"/>.</summary>
    public int InboundCap => MaxInboundSessions > 0 ? MaxInboundSessions : ViewSize + InboundMargin;

    /// <summary>What is wrong with these settings (naming the <c>[membership]</c> key), or null.</summary>
    public string? Problem()
    {
        if (ViewSize is < 1 or > MaxViewSize)
        {
            return $"membership.view_size must be between 1 and {MaxViewSize}, got {ViewSize}";
        }

        if (ShuffleLength < 1 || ShuffleLength > ViewSize)
        {
            return $"membership.shuffle_length must be between 1 and membership.view_size ({ViewSize}), got {ShuffleLength}";
        }

        if (ShufflePeriod < TimeSpan.FromSeconds(1))
        {
            return $"membership.shuffle_period_seconds must be at least 1 (the node's 1 s tick), got {ShufflePeriod.TotalSeconds}";
        }

        if (MaxInboundSessions is < 0 or > MaxInboundLimit)
        {
            return $"membership.max_inbound_sessions must be between 0 (view_size + {InboundMargin}) and {MaxInboundLimit}, got {MaxInboundSessions}";
        }

        return OutOfViewGrace < TimeSpan.Zero ? $"membership.out_of_view_grace_seconds must not be negative, got {OutOfViewGrace.TotalSeconds}" : null;
    }
}
