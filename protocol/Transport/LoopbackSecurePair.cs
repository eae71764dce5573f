using System.Net;
using FedMesh.Protocol.Identity;
using FedMesh.Protocol.Security;

namespace FedMesh.Protocol.Transport;

/// <summary>
/// Two handshaken <see cref="SecureConnection"/>s over loopback TCP with both ends in this process: the setup the
/// transfer probes and benchmarks measure on, and that transport tests run over. Disposal closes the responder's
/// connection, the initiator's, then both sockets.
/// </summary>
public sealed class LoopbackSecurePair : IAsyncDisposable
{
    private readonly TcpPipe _initiatorPipe;
    private readonly TcpPipe _responderPipe;

    private LoopbackSecurePair(TcpPipe initiatorPipe, TcpPipe responderPipe, SecureConnection initiator, SecureConnection responder)
    {
        _initiatorPipe = initiatorPipe;
        _responderPipe = responderPipe;
        Initiator = initiator;
        Responder = responder;
    }

    /// <summary>The side that dialled.</summary>
    public SecureConnection Initiator { get; }

    /// <summary>The side that accepted.</summary>
    public SecureConnection Responder { get; }

    /// <summary>
    /// Options under which both ends offer <paramref name="suites"/> (<see cref="CipherSuite.None"/>: the defaults, so
    /// the handshake picks what two nodes on this machine would).
    /// </summary>
    public static ConnectionOptions OptionsOffering(CipherSuite suites) => suites == CipherSuite.None
        ? ConnectionOptions.Default
        : ConnectionOptions.Default with { Handshake = ConnectionOptions.Default.Handshake with { Suites = suites } };

    /// <summary>Listens on an ephemeral loopback port, dials it and runs the handshake (SPEC.md §3) on both ends.</summary>
    public static async Task<LoopbackSecurePair> ConnectAsync(NodeIdentity initiator, NodeIdentity responder, ConnectionOptions? options = null,
        ReadOnlyMemory<byte>? pinnedResponderKey = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(initiator);
        ArgumentNullException.ThrowIfNull(responder);
        TcpPipe? initiatorPipe = null;
        TcpPipe? responderPipe = null;
        Task<SecureConnection>? accept = null;
        try
        {
            using (var listener = TcpPipeListener.Start(new IPEndPoint(IPAddress.Loopback, 0)))
            {
                Task<TcpPipe> accepted = listener.AcceptAsync(cancellationToken);
                initiatorPipe = await TcpPipe.ConnectAsync(listener.LocalEndPoint, cancellationToken).ConfigureAwait(false);
                responderPipe = await accepted.ConfigureAwait(false);
            }

            accept = SecureConnection.AcceptAsync(responderPipe, responder, options, cancellationToken: cancellationToken);
            SecureConnection dialled = await SecureConnection.ConnectAsync(initiatorPipe, initiator, options, pinnedResponderKey, cancellationToken: cancellationToken)
                .ConfigureAwait(false);
            try
            {
                return new LoopbackSecurePair(initiatorPipe, responderPipe, dialled, await accept.ConfigureAwait(false));
            }
            catch
            {
                await dialled.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }
        catch
        {
            // Close the dialling side first: the responder's handshake then sees the connection end at once, and is
            // observed (its connection disposed, its failure swallowed) before its own socket goes.
            if (initiatorPipe is not null)
            {
                await initiatorPipe.DisposeAsync().ConfigureAwait(false);
            }

            if (accept is not null)
            {
                try
                {
                    await (await accept.ConfigureAwait(false)).DisposeAsync().ConfigureAwait(false);
                }
                catch (Exception e) when (e is ProtocolException or TransportException or OperationCanceledException or IOException or InvalidOperationException)
                {
                }
            }

            if (responderPipe is not null)
            {
                await responderPipe.DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Responder.DisposeAsync().ConfigureAwait(false);
        await Initiator.DisposeAsync().ConfigureAwait(false);
        await _responderPipe.DisposeAsync().ConfigureAwait(false);
        await _initiatorPipe.DisposeAsync().ConfigureAwait(false);
    }
}
