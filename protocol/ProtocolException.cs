namespace FedMesh.Protocol;

/// <summary>
/// The one exception type the protocol layer raises for bad input from the network. Every parser, the
/// handshake and the secure channel translate their failures into this, so callers catch exactly one type.
/// </summary>
public sealed class ProtocolException : Exception
{
    public ProtocolException(ProtocolErrorCode code, string message)
        : base($"{code}: {message}") => Code = code;

    public ProtocolException(ProtocolErrorCode code, string message, Exception inner)
        : base($"{code}: {message}", inner) => Code = code;

    public ProtocolErrorCode Code { get; }
}
