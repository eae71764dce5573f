namespace FedMesh.Node.Storage;

/// <summary>The state directory cannot be used (in use by another process, not creatable, wrong owner).</summary>
public sealed class StateDirectoryException : Exception
{
    public StateDirectoryException(string message)
        : base(message)
    {
    }

    public StateDirectoryException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
