namespace FedMesh.Node.Storage;

/// <summary>
/// The layout of a state directory, as paths only (no I/O, no lock), so tools such as <c>fedmesh audit verify</c>
/// can find files while a daemon holds the directory.
/// </summary>
public sealed record StatePaths(string Root)
{
    /// <summary>The node's Ed25519 private key (mode 0600).</summary>
    public string IdentityKey => Path.Combine(Root, "identity.key");

    /// <summary>Reference (name and hash) of the base model checkpoint the adapters belong to.</summary>
    public string BaseRef => Path.Combine(Root, "base.ref");

    /// <summary>Adapter checkpoints, see <see cref="CheckpointStore"/>.</summary>
    public string Checkpoints => Path.Combine(Root, "checkpoints");

    /// <summary>Known peers and their addresses.</summary>
    public string Peers => Path.Combine(Root, "peers.json");

    /// <summary>Append-only ledger of privacy budget spent.</summary>
    public string PrivacyLedger => Path.Combine(Root, "privacy.ledger");

    /// <summary>The privacy ledger's head (record count and last record hash), see <see cref="LogAnchor"/>.</summary>
    public string PrivacyLedgerAnchor => LogAnchor.PathFor(PrivacyLedger);

    /// <summary>Hash-chained audit log, see <see cref="Audit.AuditLog"/>.</summary>
    public string AuditLog => Path.Combine(Root, "audit.log");

    /// <summary>The audit chain's head (entry count and last hash), see <see cref="LogAnchor"/>.</summary>
    public string AuditLogAnchor => LogAnchor.PathFor(AuditLog);

    /// <summary>The last delta sequence this node released (decimal), see <see cref="SequenceFile"/>.</summary>
    public string Sequence => Path.Combine(Root, "sequence");

    /// <summary>Per-peer trust scores.</summary>
    public string Trust => Path.Combine(Root, "trust.json");

    /// <summary>Held with an exclusive lock while a daemon uses the directory.</summary>
    public string Lock => Path.Combine(Root, "lock");
}
