using FedMesh.Node.Gossip;
using FedMesh.Protocol.Deltas;

namespace FedMesh.Node.Mesh;

/// <summary>What one round did; the daemon logs it, shows it in status and metrics, and audits the release.</summary>
public sealed record RoundReport
{
    public required long Round { get; init; }

    /// <summary>Mean training loss over the round's local steps (nats per byte).</summary>
    public required double TrainLoss { get; init; }

    /// <summary>The state this node released this round, ready to publish; null when nothing was released.</summary>
    public SignedDelta? Released { get; init; }

    /// <summary>Payload of <see cref="Released"/>.</summary>
    public ReadOnlyMemory<byte> ReleasedPayload { get; init; }

    /// <summary>What <see cref="Released"/> decodes to, when its encoding needs the receiver's state to decode (modulo
    /// int8, SPEC §5.4 code 5: every receiver within range gets these values); null otherwise (decode the payload).</summary>
    public float[]? ReleasedValues { get; init; }

    /// <summary>Why nothing was released (budget exhausted, …); null when released.</summary>
    public string? NotReleasedReason { get; init; }

    /// <summary>L2 norm of the local update before privatization.</summary>
    public double UpdateNorm { get; init; }

    /// <summary>Peers' states that went into the merge (accepted by the rule).</summary>
    public int Merged { get; init; }

    /// <summary>Peers' states offered to the merge that the rule rejected (NaN, wrong length, …) or ignored by trust.</summary>
    public int Rejected { get; init; }

    /// <summary>Peers' states pulled in to <see cref="MeshOptions.PeerDistanceBound"/> of this node's own before merging.</summary>
    public int Bounded { get; init; }

    /// <summary>True when the merge recorded no distance scores in reputation: at least
    /// <see cref="MeshOptions.UnscoredBoundedShare"/> of its inputs were pulled in by the distance bound
    /// (<see cref="ReputationEvidence"/>).</summary>
    public bool ReputationUnscored { get; init; }

    /// <summary>True when a merged candidate was adopted (passed the validation gate).</summary>
    public bool Adopted { get; init; }

    /// <summary>Held-out loss (nats per byte) of the adapter the node ends the round with, when the validation gate
    /// measured it this round (it scores both the node's own and the merged candidate); null otherwise.</summary>
    public double? HeldOutLoss { get; init; }

    /// <summary>The validation gate's reason when the candidate was refused.</summary>
    public string? GateReason { get; init; }

    public TimeSpan MergeTime { get; init; }

    /// <summary>L2 distance between the node's own state after training and the state it ends the round with: the
    /// merged candidate when adopted, else 0; null when nothing was merged.</summary>
    public double? DriftDistance { get; init; }

    /// <summary>The validation gate's measurement of this round, when it ran: held-out loss (nats per byte) of the
    /// node's own state and of the merged candidate.</summary>
    public (double Own, double Candidate)? GateLosses { get; init; }

    /// <summary>L2 distance of each contributing origin's newest state (as received, before any pull-in) from the
    /// node's own state this round; empty when nothing was merged.</summary>
    public IReadOnlyList<KeyValuePair<string, double>> PeerDivergence { get; init; } = [];

    /// <summary>Per-origin outcome of the merge, for the audit log: (origin, content id, decision, reason).</summary>
    public IReadOnlyList<MergeDecision> Decisions { get; init; } = [];
}

/// <summary>One peer state's fate in a round's merge.</summary>
public sealed record MergeDecision(string Origin, string ContentIdHex, ulong Sequence, double Norm, bool Merged, string Reason);
