using System.Buffers;
using System.IO.Pipelines;
using System.Threading.Channels;
using FedMesh.Protocol.Messages;
using FedMesh.Protocol.Wire;

namespace FedMesh.Protocol.Transport;

/// <summary>The read loop, the write loop and the idle timer.</summary>
public sealed partial class SecureConnection
{
    /// <summary>How long an orderly close waits for queued frames to drain before it aborts (a peer that stopped reading).</summary>
    private static readonly TimeSpan CloseDrainTimeout = TimeSpan.FromSeconds(5);

    private async Task ReadLoopAsync()
    {
        PipeReader input = _pipe.Input;
        // An abort cancels the pending read rather than throwing through it: the read then returns IsCanceled and
        // the loop ends quietly. Passing the token to ReadAsync made every closed connection throw and catch an
        // OperationCanceledException, 1.8 % of the CPU of a 1,000-node netsim run (1.8 sessions end per node-round).
        // The pipe schedules the reader's continuation the same way in both cases.
        using CancellationTokenRegistration onAbort = _abort.Token.UnsafeRegister(static reader => ((PipeReader)reader!).CancelPendingRead(), input);
        try
        {
            int wanted = 0;
            while (true)
            {
                // Once a frame's header has arrived, wait for the rest of the frame: the transport flushes every
                // receive (64 KiB on loopback), and waking this loop for each one just to find the frame incomplete
                // cost ~16 wake-ups per 1 MiB chunk. The minimum is the bytes still missing, not the frame's length:
                // Pipe counts only bytes not yet examined towards it (asking for the whole length hung transfers at
                // their last frame), and a reader that counts the whole buffer merely returns early.
                ReadResult result = wanted > 0
                    ? await input.ReadAtLeastAsync(wanted).ConfigureAwait(false)
                    : await input.ReadAsync().ConfigureAwait(false);
                if (result.IsCanceled && _abort.IsCancellationRequested)
                {
                    // Aborted: what the read holds is dropped with the connection.
                    input.AdvanceTo(result.Buffer.Start);
                    return;
                }

                ReadOnlySequence<byte> buffer = result.Buffer;
                wanted = 0;
                bool opened = false;
                ReceivedFrame received = default;
                try
                {
                    // One frame per read: its bytes go back to the pipe as soon as it is decrypted, so the socket
                    // loop refills while this loop decrypts the next frame or waits for the application. Holding
                    // every frame of a read until the last was handed over (as this loop used to) let the pipe
                    // fill to its pause threshold and stalled the socket, and so the sender, in turns.
                    if (FrameReader.TryRead(ref buffer, out Frame frame))
                    {
                        Volatile.Write(ref _lastReceiveTimestamp, _time.GetTimestamp());
                        received = Open(frame);
                        opened = true;
                    }
                    else
                    {
                        wanted = (int)(FrameReader.RequiredLength(buffer) - buffer.Length);
                    }
                }
                finally
                {
                    // After a frame, the rest is unexamined, so the next ReadAsync returns at once with it;
                    // without one, wait for more bytes.
                    input.AdvanceTo(buffer.Start, opened ? buffer.Start : buffer.End);
                }

                if (opened)
                {
                    if (!_incoming.Writer.TryWrite(received))
                    {
                        await DeliverAsync(received).ConfigureAwait(false);
                    }

                    continue;
                }

                if (result.IsCompleted || result.IsCanceled)
                {
                    if (!buffer.IsEmpty)
                    {
                        throw new ProtocolException(ProtocolErrorCode.MalformedFrame,
                            $"peer closed the connection inside a frame ({buffer.Length} bytes of it received)");
                    }

                    Abort(new ProtocolException(ProtocolErrorCode.Shutdown, "peer closed the connection"));
                    return;
                }
            }
        }
        catch (ProtocolException e)
        {
            Abort(e);
        }
        catch (OperationCanceledException) when (_abort.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or ChannelClosedException)
        {
            Abort(new ProtocolException(ProtocolErrorCode.Internal, $"transport failed while receiving: {e.Message}", e));
        }
        finally
        {
            _incoming.Writer.TryComplete();
            await input.CompleteAsync().ConfigureAwait(false);
        }
    }

    private async ValueTask DeliverAsync(ReceivedFrame received)
    {
        try
        {
            await _incoming.Writer.WriteAsync(received, _abort.Token).ConfigureAwait(false);
        }
        catch
        {
            received.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Decrypts a DeltaChunk into its slot where <see cref="ChunkSlots"/> wants it (<see cref="ChunkOpener"/>), every
    /// other frame into a pooled buffer, from where the frame lies in the pipe: 53 % of 1 MiB frames straddle two
    /// receive segments, and the suite's AEAD reads them in place where it takes pieces (AEGIS-256 on AES-NI),
    /// else after one copy into the buffer (<see cref="FrameProtector.Open(FrameHeader, in ReadOnlySequence{byte}, Span{byte})"/>,
    /// which is why the buffer holds the whole payload, tag included).
    /// </summary>
    private ReceivedFrame Open(Frame frame)
    {
        if (FrameLimits.IsHandshake(frame.Type))
        {
            throw new ProtocolException(ProtocolErrorCode.UnexpectedFrameType, $"{frame.Type} frame after the handshake completed");
        }

        if (ChunkSlots is { } slots && ChunkOpener.Applies(_receiver, frame))
        {
            return ChunkOpener.Open(_receiver, frame, slots);
        }

        byte[] buffer = ArrayPool<byte>.Shared.Rent(Math.Max((int)frame.Payload.Length, 1));
        try
        {
            return new ReceivedFrame(frame.Type, buffer, _receiver.Open(frame.Header, frame.Payload, buffer));
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    private async Task WriteLoopAsync()
    {
        PipeWriter output = _pipe.Output;
        ChannelReader<OutgoingFrame> queue = _outgoing.Reader;
        try
        {
            while (await WaitToWriteAsync(queue).ConfigureAwait(false))
            {
                int unflushed = 0;
                while (queue.TryRead(out OutgoingFrame frame))
                {
                    try
                    {
                        int written = frame.Seal(_sender, output.GetSpan(FrameHeader.Size + frame.Length + FrameLimits.AeadTagSize));
                        output.Advance(written);
                        unflushed += written;
                    }
                    finally
                    {
                        frame.Return();
                    }

                    if (unflushed >= FlushThresholdBytes)
                    {
                        if (!await FlushAsync(output).ConfigureAwait(false))
                        {
                            return;
                        }

                        unflushed = 0;
                    }
                }

                if (!await FlushAsync(output).ConfigureAwait(false))
                {
                    return;
                }
            }

            // The queue completed and is drained. An orderly close (not an abort, which cancels this loop) ends with
            // Bye carrying its reason code (SPEC.md §4.9, §9.1, §9.8).
            if (Volatile.Read(ref _bye) is { } bye)
            {
                byte[] buffer = MessageCodec.EncodePooled(bye, out int length);
                var frame = new OutgoingFrame(FrameType.Bye, buffer, length);
                try
                {
                    output.Advance(frame.Seal(_sender, output.GetSpan(FrameHeader.Size + frame.Length + FrameLimits.AeadTagSize)));
                }
                finally
                {
                    frame.Return();
                }

                await FlushAsync(output).ConfigureAwait(false);
            }
        }
        catch (ProtocolException e)
        {
            Abort(e);
        }
        catch (OperationCanceledException) when (_abort.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is IOException or InvalidOperationException)
        {
            Abort(new ProtocolException(ProtocolErrorCode.Internal, $"transport failed while sending: {e.Message}", e));
        }
        finally
        {
            while (queue.TryRead(out OutgoingFrame dropped))
            {
                dropped.Return();
            }

            await output.CompleteAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// <see cref="ChannelReader{T}.WaitToReadAsync"/> as with the abort token, without handing it the token: a wait
    /// given a token that can be cancelled allocates a fresh waiter (and a cancellation registration) every time, one
    /// per batch the write loop sends. The token is never needed while waiting: <see cref="Abort"/> and
    /// <see cref="CloseAsync"/> complete the queue before they cancel, and completing it ends the wait. Cancelled
    /// already, it fails at once as the token would have made it.
    /// </summary>
    private ValueTask<bool> WaitToWriteAsync(ChannelReader<OutgoingFrame> queue) =>
        _abort.IsCancellationRequested ? ValueTask.FromCanceled<bool>(_abort.Token) : queue.WaitToReadAsync(CancellationToken.None);

    /// <returns>False when the other end stopped reading (the connection is then aborted).</returns>
    private async ValueTask<bool> FlushAsync(PipeWriter output)
    {
        FlushResult result = await output.FlushAsync(_abort.Token).ConfigureAwait(false);
        if (result.IsCompleted)
        {
            Abort(new ProtocolException(ProtocolErrorCode.Shutdown, "peer stopped reading"));
            return false;
        }

        return !result.IsCanceled;
    }

    /// <summary>One-shot timer re-armed for the remaining idle time, so it fires exactly at the deadline.</summary>
    private void OnIdleTimer()
    {
        if (IsClosed)
        {
            return;
        }

        TimeSpan idle = _time.GetElapsedTime(Volatile.Read(ref _lastReceiveTimestamp));
        if (idle >= _options.IdleTimeout)
        {
            // An orderly close, so the peer (if it still reads) gets Bye(Timeout); a peer that does not read is
            // aborted after the close's drain timeout.
            _ = CloseAsync(ProtocolErrorCode.Timeout,
                $"nothing received for {idle.TotalSeconds:0.#} s (idle timeout {_options.IdleTimeout.TotalSeconds:0.#} s)");
            return;
        }

        try
        {
            _idleTimer.Change(_options.IdleTimeout - idle, Timeout.InfiniteTimeSpan);
        }
        catch (ObjectDisposedException)
        {
        }
    }
}
