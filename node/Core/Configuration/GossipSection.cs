namespace FedMesh.Node.Configuration;

/// <summary>The <c>[gossip]</c> section: the rhythm of training and exchange.</summary>
public sealed record GossipSection
{
    public static readonly GossipSection Default = new();

    /// <summary>30 s per round: long enough for the local steps of a small model on 2 CPU cores, short enough to mix.</summary>
    public double PeriodSeconds { get; init; } = 30;

    /// <summary>
    /// 3 peers per round: push gossip reaches all n nodes in O(log n) rounds already with fanout 1 (Karp et al.,
    /// "Randomized Rumor Spreading", FOCS 2000); 3 adds redundancy against lossy or Byzantine peers.
    /// </summary>
    public int Fanout { get; init; } = 3;

    /// <summary>20 local optimiser steps per round, as in local SGD / FedAvg's E·B/… steps (McMahan et al., 2017).</summary>
    public int LocalSteps { get; init; } = 20;

    /// <summary>Stop after this many rounds; 0 (default) runs until stopped. Tests and demos use a finite number.</summary>
    public long MaxRounds { get; init; }
}
