namespace FedMesh.NetSim.Lab;

/// <summary>
/// A lab operation could not be done. The message names what was wrong (the lab, the node, or the system command
/// with its exit code and stderr) so the CLI can print it as it is.
/// </summary>
public sealed class LabException : Exception
{
    public LabException(string message)
        : base(message)
    {
    }

    public LabException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
