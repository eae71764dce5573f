using System.Buffers;
using System.IO.Pipelines;
using FedMesh.Protocol.Identity;
using FedMesh.Protocol.Security;
using FedMesh.Protocol.Security.Internal;
using FedMesh.Protocol.Wire;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FedMesh.Protocol.Transport;

/// <summary>Running the handshake (SPEC.md §3.2) over the pipe before the channel starts.</summary>
public sealed partial class SecureConnection
{
    /// <summary>
    /// Runs the handshake as initiator. Fails with <see cref="ProtocolException"/> (HandshakeFailed, NotAllowed,
    /// Timeout, …) and completes the pipe, so nothing more is read from or written to a rejected peer.
    /// </summary>
    /// <param name="pinnedResponderKey">When set, the responder must prove this exact Ed25519 public key.</param>
    public static async Task<SecureConnection> ConnectAsync(IDuplexPipe pipe, NodeIdentity identity, ConnectionOptions? options = null,
        ReadOnlyMemory<byte>? pinnedResponderKey = null, TimeProvider? time = null, ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        (options, time, ILogger log) = Prepare(pipe, identity, options, time, logger);
        // The simulator's handshake (SimulatedCrypto) runs the same reads and writes, so a simulated run keeps the
        // real one's frame lengths and scheduling order.
        using IHandshakeInitiator handshake = options.SimulatedCrypto
            ? new SimulatedHandshake.Initiator(identity, options.Handshake, pinnedResponderKey)
            : new HandshakeInitiator(identity, options.Handshake, pinnedResponderKey);
        HandshakeResult result = await RunHandshakeAsync(pipe, options, time, log, "initiator", async token =>
        {
            await WriteRawAsync(pipe.Output, handshake.CreateInit(), token).ConfigureAwait(false);
            (FrameHeader header, byte[] payload) = await ReadHandshakeFrameAsync(pipe.Input, token).ConfigureAwait(false);
            (byte[] finish, HandshakeResult session) = handshake.ProcessResponse(header, payload);
            await WriteRawAsync(pipe.Output, finish, token).ConfigureAwait(false);
            return session;
        }, cancellationToken).ConfigureAwait(false);
        return Started(pipe, result, options, time, log);
    }

    /// <summary>Runs the handshake as responder; see <see cref="ConnectAsync"/> for failures.</summary>
    public static async Task<SecureConnection> AcceptAsync(IDuplexPipe pipe, NodeIdentity identity, ConnectionOptions? options = null,
        TimeProvider? time = null, ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        (options, time, ILogger log) = Prepare(pipe, identity, options, time, logger);
        using IHandshakeResponder handshake = options.SimulatedCrypto
            ? new SimulatedHandshake.Responder(identity, options.Handshake)
            : new HandshakeResponder(identity, options.Handshake);
        HandshakeResult result = await RunHandshakeAsync(pipe, options, time, log, "responder", async token =>
        {
            (FrameHeader header, byte[] payload) = await ReadHandshakeFrameAsync(pipe.Input, token).ConfigureAwait(false);
            await WriteRawAsync(pipe.Output, handshake.ProcessInit(header, payload), token).ConfigureAwait(false);
            (header, payload) = await ReadHandshakeFrameAsync(pipe.Input, token).ConfigureAwait(false);
            return handshake.ProcessFinish(header, payload);
        }, cancellationToken).ConfigureAwait(false);
        return Started(pipe, result, options, time, log);
    }

    private static (ConnectionOptions, TimeProvider, ILogger) Prepare(IDuplexPipe pipe, NodeIdentity identity, ConnectionOptions? options, TimeProvider? time, ILogger? logger)
    {
        ArgumentNullException.ThrowIfNull(pipe);
        ArgumentNullException.ThrowIfNull(identity);
        options ??= ConnectionOptions.Default;
        options.Validate();
        return (options, time ?? TimeProvider.System, logger ?? NullLogger.Instance);
    }

    private static SecureConnection Started(IDuplexPipe pipe, HandshakeResult result, ConnectionOptions options, TimeProvider time, ILogger logger)
    {
        var connection = new SecureConnection(pipe, result, options, time, logger);
        Log.HandshakeCompleted(logger, result.RemotePeerId.Value, result.IsInitiator ? "initiator" : "responder", result.Suite);
        connection.Start();
        return connection;
    }

    /// <summary>Applies the deadline and turns every failure into a <see cref="ProtocolException"/> plus a closed pipe.</summary>
    private static async Task<HandshakeResult> RunHandshakeAsync(IDuplexPipe pipe, ConnectionOptions options, TimeProvider time, ILogger logger,
        string role, Func<CancellationToken, Task<HandshakeResult>> steps, CancellationToken cancellationToken)
    {
        using var deadline = new CancellationTokenSource(options.Handshake.Timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        ProtocolException failure;
        try
        {
            return await steps(linked.Token).ConfigureAwait(false);
        }
        catch (ProtocolException e)
        {
            failure = e;
        }
        catch (OperationCanceledException e) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            failure = new ProtocolException(ProtocolErrorCode.Timeout, $"handshake did not complete within {options.Handshake.Timeout.TotalSeconds:0.###} s", e);
        }
        catch (OperationCanceledException)
        {
            Fail(pipe, new ProtocolException(ProtocolErrorCode.Shutdown, "handshake cancelled"));
            throw;
        }
        catch (Exception e) when (e is IOException or InvalidOperationException)
        {
            failure = new ProtocolException(ProtocolErrorCode.HandshakeFailed, $"transport failed during the handshake: {e.Message}", e);
        }

        Log.HandshakeFailed(logger, role, failure.Message);
        Fail(pipe, failure);
        throw failure;
    }

    private static void Fail(IDuplexPipe pipe, Exception reason)
    {
        pipe.Input.Complete(reason);
        pipe.Output.Complete(reason);
    }

    private static async Task WriteRawAsync(PipeWriter output, byte[] frame, CancellationToken cancellationToken)
    {
        FlushResult result = await output.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
        if (result.IsCompleted)
        {
            throw new ProtocolException(ProtocolErrorCode.HandshakeFailed, "peer closed the connection during the handshake");
        }
    }

    /// <summary>Reads exactly one plaintext frame; bytes after it (early application frames) stay in the pipe.</summary>
    private static async Task<(FrameHeader Header, byte[] Payload)> ReadHandshakeFrameAsync(PipeReader input, CancellationToken cancellationToken)
    {
        while (true)
        {
            ReadResult result = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
            ReadOnlySequence<byte> buffer = result.Buffer;
            if (FrameReader.TryRead(ref buffer, out Frame frame))
            {
                byte[] payload = frame.Payload.ToArray();
                input.AdvanceTo(buffer.Start);
                return (frame.Header, payload);
            }

            input.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted || result.IsCanceled)
            {
                throw new ProtocolException(ProtocolErrorCode.HandshakeFailed, "peer closed the connection during the handshake");
            }
        }
    }
}
