using System.Buffers;
using System.IO.Pipelines;
using FedMesh.Protocol.Identity;
using FedMesh.Protocol.Security;
using FedMesh.Protocol.Security.Internal;
using FedMesh.Protocol.Tests.Framing;
using FedMesh.Protocol.Tests.Transport;
using FedMesh.Protocol.Transport;
using FedMesh.Protocol.Wire;

namespace FedMesh.Protocol.Tests.Security;

/// <summary>
/// Seeded fuzzing of everything that parses untrusted bytes: the frame reader, the channel's frame opener, the
/// three handshake steps and whole connections. The only exception allowed out is <see cref="ProtocolException"/>;
/// parsers must never return a frame above its cap, and every connection must end (never hang).
/// </summary>
public sealed class FuzzTests : IDisposable
{
    /// <summary>Inputs through the frame reader and opener: the brief's floor of 100,000.</summary>
    private const int FrameInputs = 100_000;

    /// <summary>Inputs per handshake step: each costs an X25519 and maybe a signature check (~0.1 ms).</summary>
    private const int HandshakeInputs = 2_000;

    /// <summary>Byte streams fed to a responding connection end to end.</summary>
    private const int ConnectionInputs = 150;

    private readonly CancellationTokenSource _guard = new(TimeSpan.FromSeconds(60));
    private readonly Random _rng = new(20261124);
    private readonly NodeIdentity _a = NodeIdentity.FromSeed(Enumerable.Repeat((byte)7, 32).ToArray());
    private readonly NodeIdentity _b = NodeIdentity.FromSeed(Enumerable.Repeat((byte)9, 32).ToArray());

    public void Dispose()
    {
        _guard.Dispose();
        _a.Dispose();
        _b.Dispose();
    }

    /// <summary>A seed corpus: valid plaintext frames of every type, the three handshake messages, sealed frames.</summary>
    private List<byte[]> Corpus(HandshakeResult session, (byte[] Init, byte[] Response, byte[] Finish) handshake)
    {
        var corpus = new List<byte[]> { handshake.Init, handshake.Response, handshake.Finish };
        foreach (FrameType type in Enum.GetValues<FrameType>())
        {
            var writer = new ArrayBufferWriter<byte>();
            FrameWriter.Write(writer, type, RandomBytes(Math.Min(FrameLimits.MaxPayload(type), 200)));
            corpus.Add(writer.WrittenSpan.ToArray());
        }

        using var sender = new FrameProtector(session.Suite, session.SendKey);
        for (int i = 0; i < 8; i++)
        {
            byte[] body = RandomBytes(_rng.Next(0, 100));
            byte[] frame = new byte[FrameHeader.Size + body.Length + sender.TagSize];
            sender.Seal(FrameType.Have, body, frame);
            corpus.Add(frame);
        }

        return corpus;
    }

    private byte[] RandomBytes(int length)
    {
        byte[] bytes = new byte[length];
        _rng.NextBytes(bytes);
        return bytes;
    }

    /// <summary>One input: pure noise, or a corpus entry with 1–4 mutations (flip, set, truncate, extend, header edits, splice).</summary>
    private byte[] Mutate(List<byte[]> corpus)
    {
        if (_rng.Next(10) == 0)
        {
            return RandomBytes(_rng.Next(0, 64));
        }

        byte[] data = (byte[])corpus[_rng.Next(corpus.Count)].Clone();
        for (int m = _rng.Next(1, 5); m > 0; m--)
        {
            switch (_rng.Next(7))
            {
                case 0 when data.Length > 0:
                    data[_rng.Next(data.Length)] ^= (byte)(1 << _rng.Next(8));
                    break;
                case 1 when data.Length > 0:
                    data[_rng.Next(data.Length)] = (byte)_rng.Next(256);
                    break;
                case 2:
                    data = data[.._rng.Next(data.Length + 1)];
                    break;
                case 3:
                    data = [.. data, .. RandomBytes(_rng.Next(1, 40))];
                    break;
                case 4 when data.Length >= FrameHeader.Size:
                    // Header edits: a random length (often huge) or type keeps the fuzzer near the checks.
                    if (_rng.Next(2) == 0)
                    {
                        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(4), (uint)_rng.Next(int.MinValue, int.MaxValue));
                    }
                    else
                    {
                        data[1] = (byte)_rng.Next(0, 0x20);
                    }

                    break;
                case 5:
                    data = [.. data, .. corpus[_rng.Next(corpus.Count)]];
                    break;
                default:
                    break;
            }
        }

        return data;
    }

    private static void OnlyProtocolExceptions(Action action)
    {
        try
        {
            action();
        }
        catch (ProtocolException)
        {
        }
    }

    [Fact]
    public async Task Random_and_mutated_frames_and_handshake_messages_only_ever_raise_ProtocolException()
    {
        CancellationToken guard = _guard.Token;
        var run = HandshakeTests.Run(_a, _b);
        List<byte[]> corpus = Corpus(run.Initiator, (run.Init, run.Response, run.Finish));
        int framesRead = 0;

        for (int n = 0; n < FrameInputs; n++)
        {
            guard.ThrowIfCancellationRequested();
            byte[] input = Mutate(corpus);
            var buffer = Segments.Split(input, _rng.Next(input.Length + 1), _rng.Next(input.Length + 1));
            OnlyProtocolExceptions(() =>
            {
                while (FrameReader.TryRead(ref buffer, out Frame frame))
                {
                    Assert.InRange(frame.Payload.Length, 0, FrameLimits.MaxPayload(frame.Type));
                    framesRead++;
                    if (!FrameLimits.IsHandshake(frame.Type))
                    {
                        using var receiver = new FrameProtector(run.Responder.Suite, run.Responder.ReceiveKey);
                        receiver.OpenInPlace(frame.Header, frame.Payload.ToArray());
                    }
                }
            });
        }

        using var initiator = new HandshakeInitiator(_a, HandshakeOptions.Default, null);
        initiator.CreateInit();
        using var responder = new HandshakeResponder(_b, HandshakeOptions.Default);
        responder.ProcessInit(FrameHeader.Parse(run.Init), run.Init.AsSpan(FrameHeader.Size));
        List<byte[]> handshakeCorpus = [run.Init, run.Response, run.Finish];
        for (int n = 0; n < HandshakeInputs; n++)
        {
            guard.ThrowIfCancellationRequested();
            byte[] input = Mutate(handshakeCorpus);
            OnlyProtocolExceptions(() =>
            {
                FrameHeader header = FrameHeader.Parse(input);
                byte[] payload = input.Length - FrameHeader.Size >= header.PayloadLength
                    ? input.AsSpan(FrameHeader.Size, header.PayloadLength).ToArray()
                    : throw new ProtocolException(ProtocolErrorCode.MalformedFrame, "truncated");
                OnlyProtocolExceptions(() => new HandshakeResponder(_b, HandshakeOptions.Default).ProcessInit(header, payload));
                OnlyProtocolExceptions(() => initiator.ProcessResponse(header, payload));
                OnlyProtocolExceptions(() => responder.ProcessFinish(header, payload));
            });
        }

        for (int n = 0; n < ConnectionInputs; n++)
        {
            byte[] stream = [.. Mutate(handshakeCorpus), .. Mutate(corpus)];
            (IDuplexPipe attacker, IDuplexPipe victim) = PipePair.Create();
            Task<SecureConnection> accept = SecureConnection.AcceptAsync(victim, _b, cancellationToken: guard);
            await attacker.Output.WriteAsync(stream, guard);
            await attacker.Output.CompleteAsync();
            try
            {
                await using SecureConnection connection = await accept.WaitAsync(guard);
                Assert.IsType<ProtocolException>(await connection.Completion.WaitAsync(guard));
            }
            catch (ProtocolException)
            {
            }
        }

        Assert.True(framesRead > 1000, $"only {framesRead} frames parsed: the mutator is not exercising the payload paths");
    }
}
