namespace FedMesh.Node.Audit;

/// <summary>What happened to a delta; written in lower case ("sent", "received", "merged", "rejected").</summary>
public enum AuditEventKind
{
    Sent,
    Received,
    Merged,
    Rejected,
}
