using System.Collections.Concurrent;
using FedMesh.Node.Audit;
using FedMesh.Node.Learning;
using FedMesh.Node.Mesh;
using FedMesh.Protocol;
using FedMesh.Node.Gossip;
using FedMesh.Protocol.Deltas;
using FedMesh.Protocol.Identity;
using Microsoft.Extensions.Logging;

namespace FedMesh.Node.Hosting.Internal;

/// <summary>
/// The learning loop: one round per period on its own task (training is CPU-bound and must not hold up the gossip
/// actor). Verified peer states arrive from the actor (<see cref="Arrived"/>), filtered by the node's
/// <see cref="IRoundPeerPolicy"/>, and are offered to the coordinator at the start of the next round; the release is
/// written ahead to the sequence file, then published and audited through the actor; checkpoints after each round.
/// </summary>
internal sealed class RoundLoop(NodeParts parts, RoundCoordinator rounds, GossipActor actor, Func<IReadOnlyList<PeerId>> connected, NodeTelemetry telemetry, ILogger logger)
{
    private readonly ConcurrentQueue<(StoredDelta Delta, float[]? State)> _offers = new();
    private readonly IRoundPeerPolicy _policy = parts.PeerPolicy ?? FloodPeerPolicy.Instance;

    public event Action<RoundReport>? Completed;

    /// <summary>On the actor: a verified state, decoded now (a malformed one is refused here, with the others).</summary>
    public void Arrived(StoredDelta delta, PeerId from)
    {
        DeltaManifest m = delta.Delta.Manifest;
        PeerId origin = PeerId.FromPublicKey(m.Origin.Span);
        if (!_policy.ShouldMerge(delta, origin, from))
        {
            return;
        }

        if (DeltaDecoder.NeedsSideInformation(m))
        {
            // Modulo int8 (SPEC §5.4 code 5) decodes against this node's own state: on the round loop, before the round
            // that merges it (Offer), when that state is the one the merge starts from.
            _offers.Enqueue((delta, null));
            return;
        }

        float[] state;
        try
        {
            state = DeltaDecoder.DecodeFlat(m, delta.Payload.Span);
        }
        catch (ProtocolException ex)
        {
            actor.DeltaRejected(from, delta.ContentIdHex, ex.Code, ex.Message);
            return;
        }

        _offers.Enqueue((delta, state));
        telemetry.Audit(AuditEventKind.Received, origin, delta, System.Numerics.Tensors.TensorPrimitives.Norm(state), "accepted", null);
    }

    /// <summary>Runs rounds until stopped or <see cref="NodeParts.MaxRounds"/>; returns true when it finished them.</summary>
    public async Task<bool> RunAsync(LoopSupervisor supervisor, CancellationToken stop)
    {
        ILearner? learner = parts.Learner;
        // Before the first round, so a node that starts with a truncated ledger shows it at once.
        telemetry.PublishPrivacy();
        if (learner is not null && parts.HeldOut.Count > 0)
        {
            telemetry.Baseline(
                learner.Evaluate(parts.HeldOut, new float[learner.Schema.TotalElements]).BitsPerByte,
                learner.Evaluate(parts.HeldOut).BitsPerByte);
        }

        try
        {
            while (!stop.IsCancellationRequested && (parts.MaxRounds == 0 || telemetry.Round < parts.MaxRounds))
            {
                supervisor.Iteration("round");
                long started = parts.Time.GetTimestamp();
                while (_offers.TryDequeue(out var offer))
                {
                    Offer(offer.Delta, offer.State);
                }

                // The one peer decision of the round (IRoundPeerPolicy): whom this round merges from.
                IReadOnlyList<PeerId> peers = connected();
                _policy.BeforeRound(telemetry.Round + 1, peers);
                // Neighbours mode's mixing weights (Metropolis–Hastings) need this node's degree now.
                rounds.Neighbours = peers.Count;
                RoundReport report = rounds.RunRound(stop);
                Publish(report);
                AfterRound(report, learner);

                TimeSpan wait = parts.RoundPeriod - parts.Time.GetElapsedTime(started);
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, parts.Time, stop).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }

        return parts.MaxRounds > 0 && telemetry.Round >= parts.MaxRounds;
    }

    /// <summary>
    /// Hands one verified peer state to the coordinator. Whatever is wrong with that one delta (a refusal, or a fault
    /// while taking it) is logged and audited against it and the round goes on: one bad delta must never stop the
    /// round loop (a manifest dated past year 9999 once did, on every node that pulled it).
    /// </summary>
    private void Offer(StoredDelta delta, float[]? state)
    {
        string? refused;
        if (state is null)
        {
            PeerId from = PeerId.FromPublicKey(delta.Delta.Manifest.Origin.Span);
            try
            {
                state = rounds.DecodeAgainstOwn(delta.Delta.Manifest, delta.Payload.Span);
            }
            catch (ProtocolException ex)
            {
                Log.OfferRefused(logger, delta.ContentIdHex, from.Value, ex.Message);
                telemetry.DeltaRejected("SideInformation");
                telemetry.Audit(AuditEventKind.Rejected, from, delta, double.NaN, "rejected", ex.Message);
                return;
            }

            telemetry.Audit(AuditEventKind.Received, from, delta, System.Numerics.Tensors.TensorPrimitives.Norm(state), "accepted", null);
        }

        try
        {
            refused = rounds.Offer(delta, state);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            refused = $"{ex.GetType().Name}: {ex.Message}";
        }

        if (refused is null)
        {
            return;
        }

        PeerId origin = PeerId.FromPublicKey(delta.Delta.Manifest.Origin.Span);
        Log.OfferRefused(logger, delta.ContentIdHex, origin.Value, refused);
        telemetry.DeltaRejected("NotMerged");
        telemetry.Audit(AuditEventKind.Rejected, origin, delta, double.NaN, "rejected", refused);
    }

    private void Publish(RoundReport report)
    {
        if (report.Released is not { } released)
        {
            if (report.NotReleasedReason is { } why)
            {
                Log.NotReleased(logger, report.Round, why);
            }

            return;
        }

        // Write-ahead: the sequence is on disk before the delta can leave, so a crash never lets it be reused.
        if (parts.SequencePath is { } path)
        {
            Storage.SequenceFile.Write(path, released.Manifest.Sequence);
        }

        ReadOnlyMemory<byte> payload = report.ReleasedPayload;
        actor.Post(() =>
        {
            StoredDelta stored = actor.Engine.Publish(released, payload);
            telemetry.DeltaSent();
            telemetry.Audit(AuditEventKind.Sent, parts.Identity.PeerId, stored, report.UpdateNorm, "sent", telemetry.PrivacyNote());
        });
    }

    private void AfterRound(RoundReport report, ILearner? learner)
    {
        double? bpc = null;
        if (learner is not null && parts.HeldOut.Count > 0)
        {
            // The gate scores the adapter the round ends with on this same held-out set: reuse it rather than pay a
            // third evaluation per round (each costs about as much as the round's training).
            bpc = report.HeldOutLoss is { } loss ? LanguageModelMath.BitsPerByte(loss) : learner.Evaluate(parts.HeldOut).BitsPerByte;
        }

        telemetry.RoundDone(report, bpc);
        if (learner is not null)
        {
            SaveCheckpoint(report.Round, learner);
        }

        Log.RoundDone(logger, report.Round, report.TrainLoss, telemetry.LastBpc, report.Merged, report.Adopted);
        if (report.ReputationUnscored)
        {
            Log.ReputationUnscored(logger, report.Round, report.Bounded);
        }

        Completed?.Invoke(report);
    }

    private void SaveCheckpoint(long round, ILearner learner)
    {
        if (parts.Checkpoints is null && parts.Export is null)
        {
            // Nowhere to save it (netsim's nodes): no copy of the adapter, no metadata strings every round.
            return;
        }

        float[] adapter = learner.GetAdapter();
        byte[] bytes = new byte[adapter.Length * sizeof(float)];
        Buffer.BlockCopy(adapter, 0, bytes, 0, bytes.Length);
        parts.Checkpoints?.Save(round, bytes, new Dictionary<string, string>
        {
            ["schema"] = learner.Schema.HashHex,
            ["base"] = Convert.ToHexStringLower(learner.BaseModelHash.Span),
        });
        parts.Export?.Invoke(learner);
    }
}
