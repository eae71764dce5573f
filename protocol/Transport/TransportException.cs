using System.Net.Sockets;

namespace FedMesh.Protocol.Transport;

/// <summary>What kind of network failure happened, so callers can decide to retry, back off or give up.</summary>
public enum TransportErrorKind
{
    /// <summary>Nobody listens there (RST on connect): retry later or drop the address.</summary>
    Refused,

    /// <summary>No route, host down, DNS failure: back off.</summary>
    Unreachable,

    /// <summary>The connect or a send timed out.</summary>
    TimedOut,

    /// <summary>The established connection was reset or aborted by the peer or the network.</summary>
    Reset,

    /// <summary>Any other socket error; the message carries the OS error name.</summary>
    Other,
}

/// <summary>A socket failure, classified (<see cref="Kind"/>) and naming the remote endpoint.</summary>
public sealed class TransportException : IOException
{
    public TransportException(TransportErrorKind kind, string message, Exception? inner = null)
        : base(message, inner) => Kind = kind;

    public TransportException()
    {
    }

    public TransportException(string message)
        : base(message)
    {
    }

    public TransportException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public TransportErrorKind Kind { get; }

    public static TransportErrorKind Classify(SocketError error) => error switch
    {
        SocketError.ConnectionRefused => TransportErrorKind.Refused,
        SocketError.HostUnreachable or SocketError.NetworkUnreachable or SocketError.HostNotFound
            or SocketError.HostDown or SocketError.NetworkDown or SocketError.TryAgain or SocketError.NoData => TransportErrorKind.Unreachable,
        SocketError.TimedOut => TransportErrorKind.TimedOut,
        SocketError.ConnectionReset or SocketError.ConnectionAborted or SocketError.Shutdown
            or SocketError.NotConnected or SocketError.OperationAborted or SocketError.NetworkReset => TransportErrorKind.Reset,
        _ => TransportErrorKind.Other,
    };

    public static TransportException From(SocketException e, string endpoint) =>
        new(Classify(e.SocketErrorCode), $"{endpoint}: {Classify(e.SocketErrorCode)} ({e.SocketErrorCode}: {e.Message})", e);
}
