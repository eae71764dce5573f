using FedMesh.Node.Membership;

namespace FedMesh.Node.Configuration;

/// <summary>The <c>[membership]</c> section: the Cyclon partial view and the overlay kept from it (SPEC.md §9.10).
/// Defaults and their reasons are <see cref="PeerSamplingOptions"/>'.</summary>
public sealed record MembershipSection
{
    public static readonly MembershipSection Default = new();

    /// <summary>Partial view size c (<see cref="PeerSamplingOptions.ViewSize"/>: 8).</summary>
    public int ViewSize { get; init; } = PeerSamplingOptions.Default.ViewSize;

    /// <summary>Entries swapped per shuffle l (<see cref="PeerSamplingOptions.ShuffleLength"/>: 4).</summary>
    public int ShuffleLength { get; init; } = PeerSamplingOptions.Default.ShuffleLength;

    /// <summary>Seconds between shuffles (<see cref="PeerSamplingOptions.ShufflePeriod"/>: 10).</summary>
    public double ShufflePeriodSeconds { get; init; } = PeerSamplingOptions.Default.ShufflePeriod.TotalSeconds;

    /// <summary>Seconds a dialled session may stay outside the view before it is closed
    /// (<see cref="PeerSamplingOptions.OutOfViewGrace"/>: 60).</summary>
    public double OutOfViewGraceSeconds { get; init; } = PeerSamplingOptions.Default.OutOfViewGrace.TotalSeconds;

    /// <summary>Most inbound sessions; 0 = view_size + 2 (<see cref="PeerSamplingOptions.MaxInboundSessions"/>).</summary>
    public int MaxInboundSessions { get; init; } = PeerSamplingOptions.Default.MaxInboundSessions;

    /// <summary>The runtime's options for these settings.</summary>
    public PeerSamplingOptions ToOptions() => new()
    {
        ViewSize = ViewSize,
        ShuffleLength = ShuffleLength,
        ShufflePeriod = TimeSpan.FromSeconds(ShufflePeriodSeconds),
        OutOfViewGrace = TimeSpan.FromSeconds(OutOfViewGraceSeconds),
        MaxInboundSessions = MaxInboundSessions,
    };
}
