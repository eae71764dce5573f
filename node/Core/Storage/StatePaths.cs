namespace FedMesh.Node.Storage;

/// <summary>
/// The layout of a state directory, as paths only (no I/O, no lock), so tools such as <c>fedmesh audit verify</c>
/// and <c>fedmesh privacy</c> can find files while a daemon holds the directory. This record is the one place that
/// names the files a node keeps: the daemon, every CLI command and the tests take their paths from it.
/// </summary>
/// <remarks>
/// Files set aside next to these on repair keep the name they belong to: <c>audit.log.torn-at-OFFSET</c> (a torn last
/// audit line, see <see cref="Audit.AuditLog"/>) and <c>peers.json.corrupt</c> (an unreadable peer book).
/// </remarks>
public sealed record StatePaths(string Root)
{
    /// <summary>The node's Ed25519 private key (mode 0600).</summary>
    public string IdentityKey => Path.Combine(Root, "identity.key");

    /// <summary>Reference (name and hash) of the base model checkpoint the adapters belong to.</summary>
    public string BaseRef => Path.Combine(Root, "base.ref");

    /// <summary>Adapter checkpoints, see <see cref="CheckpointStore"/>.</summary>
    public string Checkpoints => Path.Combine(Root, "checkpoints");

    /// <summary>The latest adapter in export format (safetensors + JSON), written after each round and read by
    /// <c>fedmesh export</c>.</summary>
    public string Adapter => Path.Combine(Root, "adapter");

    /// <summary>Known peers and their addresses.</summary>
    public string Peers => Path.Combine(Root, "peers.json");

    /// <summary>Append-only ledger of privacy budget spent (read by <c>fedmesh privacy</c>).</summary>
    public string PrivacyLedger => Path.Combine(Root, "privacy.ledger");

    /// <summary>Lock file the ledger's single writer holds (<see cref="Privacy.PrivacyLedger.Open"/> derives it).</summary>
    public string PrivacyLedgerLock => PrivacyLedger + ".lock";

    /// <summary>The privacy ledger's head (record count and last record hash), see <see cref="LogAnchor"/>.</summary>
    public string PrivacyLedgerAnchor => LogAnchor.PathFor(PrivacyLedger);

    /// <summary>The privacy mechanism the daemon resolved at start (level, C, σ, q, steps per round, δ), so
    /// <c>fedmesh privacy</c> predicts exactly what the daemon charges; see <see cref="Hosting.PrivacyMechanismFile"/>.</summary>
    public string PrivacyMechanism => Path.Combine(Root, "privacy.mechanism.json");

    /// <summary>Hash-chained audit log, see <see cref="Audit.AuditLog"/>.</summary>
    public string AuditLog => Path.Combine(Root, "audit.log");

    /// <summary>The audit chain's head (entry count and last hash), see <see cref="LogAnchor"/>.</summary>
    public string AuditLogAnchor => LogAnchor.PathFor(AuditLog);

    /// <summary>The last delta sequence this node released (decimal), written before the delta leaves so a restart
    /// never reuses one; see <see cref="SequenceFile"/>.</summary>
    public string Sequence => Path.Combine(Root, "sequence");

    /// <summary>Per-peer trust scores.</summary>
    public string Trust => Path.Combine(Root, "trust.json");

    /// <summary>Peer ids admitted to a closed mesh by <c>fedmesh trust add</c>, one per line; <c>run</c> admits these
    /// and the ids of <c>network.allowlist</c> (see <see cref="Membership.Allowlist"/>).</summary>
    public string Allowlist => Path.Combine(Root, "allowlist");

    /// <summary>The addresses the running node bound (port 0 = any free port), see <see cref="Hosting.NodeEndpoints"/>.</summary>
    public string Endpoints => Path.Combine(Root, Hosting.NodeEndpoints.FileName);

    /// <summary>Held with an exclusive lock while a daemon uses the directory.</summary>
    public string Lock => Path.Combine(Root, "lock");
}
