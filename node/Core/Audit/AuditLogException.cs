namespace FedMesh.Node.Audit;

/// <summary>The audit log cannot be continued (its chain is broken before the last line, or it cannot be written).</summary>
public sealed class AuditLogException : Exception
{
    public AuditLogException(string message)
        : base(message)
    {
    }

    public AuditLogException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
