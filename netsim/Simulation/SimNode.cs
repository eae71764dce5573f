using FedMesh.Node.Gossip;
using FedMesh.Node.Learning;
using FedMesh.Node.Mesh;
using FedMesh.Node.Privacy;
using FedMesh.Node.Reputation;
using FedMesh.Protocol.Identity;
using NSec.Cryptography;

namespace FedMesh.NetSim.Simulation;

/// <summary>
/// One simulated node: identity, learner and what survives a crash (checkpointed adapter, last sequence, ledger
/// file, reputation), plus the per-process parts rebuilt at every (re)start (gossip engine, round coordinator).
/// </summary>
public sealed class SimNode : IDisposable
{
    internal SimNode(int index, Key key, ILearner learner, bool byzantine, ReputationTracker reputation, string stateDirectory)
    {
        Index = index;
        Key = key;
        PublicKey = key.PublicKey.Export(KeyBlobFormat.RawPublicKey);
        PeerId = PeerId.FromPublicKey(PublicKey);
        Learner = learner;
        Byzantine = byzantine;
        Reputation = reputation;
        StateDirectory = stateDirectory;
        Checkpoint = learner.GetAdapter();
    }

    public int Index { get; }

    public PeerId PeerId { get; }

    public byte[] PublicKey { get; }

    public bool Byzantine { get; }

    /// <summary>Running now (joined, not crashed, not left).</summary>
    public bool Up { get; internal set; }

    /// <summary>Left for good; churn and restarts do not bring it back.</summary>
    public bool Left { get; internal set; }

    /// <summary>Joins only at a join event (absent before).</summary>
    public bool JoinsLate { get; internal set; }

    /// <summary>Process generation: messages addressed to an earlier incarnation are dropped.</summary>
    public int Incarnation { get; internal set; }

    /// <summary>The adapter as checkpointed after the node's last completed round ("on disk").</summary>
    public float[] Checkpoint { get; internal set; }

    /// <summary>Last released sequence, persisted with the checkpoint (sequences must grow across restarts).</summary>
    public ulong LastSequence { get; internal set; }

    public long BytesIn { get; internal set; }

    public long BytesOut { get; internal set; }

    /// <summary>Byte counters at the last metrics sample (per-round figures are differences).</summary>
    internal long RecordedBytesIn { get; set; }

    internal long RecordedBytesOut { get; set; }

    /// <summary>Rounds this node completed over all its incarnations.</summary>
    public long RoundsRun { get; internal set; }

    /// <summary>The last round's report (null before the first round of an incarnation).</summary>
    public RoundReport? LastReport { get; internal set; }

    public ILearner Learner { get; }

    internal Key Key { get; }

    internal ReputationTracker Reputation { get; }

    internal string StateDirectory { get; }

    internal GossipEngine? Engine { get; set; }

    internal RoundCoordinator? Coordinator { get; set; }

    internal PrivacyLedger? Ledger { get; set; }

    /// <summary>This node's released states, newest first (replay attacks resend an old one).</summary>
    internal List<float[]> ReleaseHistory { get; } = [];

    public void Dispose()
    {
        Ledger?.Dispose();
        Key.Dispose();
        Learner.Dispose();
    }
}
