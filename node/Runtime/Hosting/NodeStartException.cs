namespace FedMesh.Node.Hosting;

/// <summary>
/// The node could not start because an address in its configuration cannot be used (port in use, address not on
/// this host, permission). The message is one line naming the key and the address: `fedmesh run` prints it and exits
/// with a non-zero code.
/// </summary>
public sealed class NodeStartException : Exception
{
    public NodeStartException(string key, string address, Exception cause)
        : base($"{key}: cannot listen on {address}: {Reason(cause)}", cause)
    {
        Key = key;
        Address = address;
    }

    public NodeStartException()
    {
        Key = Address = string.Empty;
    }

    public NodeStartException(string message)
        : base(message)
    {
        Key = Address = string.Empty;
    }

    public NodeStartException(string message, Exception innerException)
        : base(message, innerException)
    {
        Key = Address = string.Empty;
    }

    /// <summary>The configuration key whose address failed, e.g. <c>admin.listen</c>.</summary>
    public string Key { get; }

    public string Address { get; }

    /// <summary>The innermost message (Kestrel wraps "address already in use" in "Failed to bind to address …").</summary>
    private static string Reason(Exception cause)
    {
        Exception inner = cause;
        while (inner.InnerException is not null)
        {
            inner = inner.InnerException;
        }

        return inner.Message.TrimEnd('.');
    }
}
