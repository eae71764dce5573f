using System.Diagnostics;
using FedMesh.Node.Audit;
using FedMesh.Node.Gossip;
using FedMesh.Node.Learning;
using FedMesh.Node.Mesh;
using FedMesh.Protocol.Deltas;

namespace FedMesh.Node.Hosting;

/// <summary>The learning loop: one round per period, on its own task (training is CPU-bound and must not hold up
/// the gossip actor); releases are published and audited through the actor.</summary>
public sealed partial class NodeRuntime
{
    private long _round;
    private long _deltasSent;
    private long _deltasMerged;
    private double? _lastTrainLoss;
    private double? _lastBpc;
    private double? _baseBpc;

    private async Task RoundLoopAsync(CancellationToken stop)
    {
        RoundCoordinator rounds = _parts.Rounds!;
        ILearner? learner = _parts.Learner;
        // Before the first round, so a node that starts with a truncated ledger shows it at once.
        PublishPrivacyMetrics();
        if (learner is not null && _parts.HeldOut.Count > 0)
        {
            _baseBpc = learner.Evaluate(_parts.HeldOut, new float[learner.Schema.TotalElements]).BitsPerByte;
            _lastBpc = learner.Evaluate(_parts.HeldOut).BitsPerByte;
        }

        try
        {
            while (!stop.IsCancellationRequested && (_parts.MaxRounds == 0 || _round < _parts.MaxRounds))
            {
                long started = _parts.Time.GetTimestamp();
                while (_offers.TryDequeue(out var offer))
                {
                    Offer(rounds, offer.Delta, offer.State);
                }

                rounds.Neighbours = _sessions.Count;
                RoundReport report = rounds.RunRound(stop);
                Publish(report);
                AfterRound(report, learner);

                TimeSpan wait = _parts.RoundPeriod - _parts.Time.GetElapsedTime(started);
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, _parts.Time, stop).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }

        if (_parts.MaxRounds > 0 && _round >= _parts.MaxRounds)
        {
            // Finished the configured rounds: keep serving deltas to peers for one more period, then stop.
            _ = Task.Run(async () =>
            {
                await Task.Delay(_parts.RoundPeriod, _parts.Time, CancellationToken.None).ConfigureAwait(false);
                await StopAsync().ConfigureAwait(false);
            }, CancellationToken.None);
        }
    }

    /// <summary>
    /// Hands one verified peer state to the coordinator. Whatever is wrong with that one delta (a refusal, or a fault
    /// while taking it) is logged and audited against it and the round goes on: one bad delta must never stop the
    /// round loop (a manifest dated past year 9999 once did, on every node that pulled it).
    /// </summary>
    private void Offer(RoundCoordinator rounds, StoredDelta delta, float[] state)
    {
        string? refused;
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

        Protocol.Identity.PeerId origin = Protocol.Identity.PeerId.FromPublicKey(delta.Delta.Manifest.Origin.Span);
        Log.OfferRefused(_logger, delta.ContentIdHex, origin.Value, refused);
        Interlocked.Increment(ref _deltasRejected);
        Metrics.DeltasRejected.WithLabels("NotMerged").Inc();
        Audit(AuditEventKind.Rejected, origin, delta, double.NaN, "rejected", refused);
    }

    private void Publish(RoundReport report)
    {
        if (report.Released is not { } released)
        {
            if (report.NotReleasedReason is { } why)
            {
                Log.NotReleased(_logger, report.Round, why);
            }

            return;
        }

        // Write-ahead: the sequence is on disk before the delta can leave, so a crash never lets it be reused.
        if (_parts.SequencePath is { } path)
        {
            Storage.SequenceFile.Write(path, released.Manifest.Sequence);
        }

        ReadOnlyMemory<byte> payload = report.ReleasedPayload;
        Post(() =>
        {
            StoredDelta stored = _engine.Publish(released, payload);
            Interlocked.Increment(ref _deltasSent);
            Metrics.DeltasOut.Inc();
            Audit(AuditEventKind.Sent, Self, stored, report.UpdateNorm, "sent", PrivacyNote());
        });
    }

    /// <summary>The audit line's statement of the guarantee a release was made under (level and mechanism).</summary>
    private string PrivacyNote()
    {
        if (_parts.Ledger?.Options is not { } o)
        {
            return "privacy off";
        }

        return o.Level == Privacy.PrivacyLevel.Record
            ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"privacy record: DP-SGD q={o.SamplingRate:G4} sigma={o.NoiseMultiplier:G4} C={o.ClipNorm:G4} steps={o.StepsPerRelease}")
            : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"privacy node: whole update sigma={o.NoiseMultiplier:G4} C={o.ClipNorm:G4}");
    }

    private void AfterRound(RoundReport report, ILearner? learner)
    {
        Interlocked.Exchange(ref _round, report.Round);
        Interlocked.Add(ref _deltasMerged, report.Merged);
        Metrics.Rounds.Inc();
        if (double.IsFinite(report.TrainLoss))
        {
            // NaN: a round that did not train (record-level budget exhausted) or whose DP-SGD draws took no record.
            _lastTrainLoss = report.TrainLoss;
            Metrics.TrainLoss.Set(report.TrainLoss);
        }
        Metrics.MergeSeconds.Observe(report.MergeTime.TotalSeconds);
        foreach (MergeDecision d in report.Decisions)
        {
            _parts.Audit?.Append(new AuditRecord(
                d.Merged ? AuditEventKind.Merged : AuditEventKind.Rejected,
                d.Origin,
                d.ContentIdHex,
                (long)d.Sequence,
                d.Norm,
                double.NaN,
                double.NaN,
                d.Merged ? (report.Adopted ? "merged" : "gate-rejected") : "rejected",
                d.Merged ? report.GateReason : d.Reason));
        }

        if (learner is not null)
        {
            if (_parts.HeldOut.Count > 0)
            {
                // The gate scores the adapter the round ends with on this same held-out set: reuse it rather than
                // pay a third evaluation per round (each costs about as much as the round's training).
                _lastBpc = report.HeldOutLoss is { } loss
                    ? LanguageModelMath.BitsPerByte(loss)
                    : learner.Evaluate(_parts.HeldOut).BitsPerByte;
                Metrics.HeldOutBpc.Set(_lastBpc.Value);
            }

            SaveCheckpoint(report.Round, learner);
        }

        PublishPrivacyMetrics();

        if (_parts.Reputation is { } reputation)
        {
            foreach (Reputation.PeerTrust t in reputation.Snapshot())
            {
                Metrics.Trust.WithLabels(t.Peer.Value).Set(t.Trust);
            }
        }

        Log.RoundDone(_logger, report.Round, report.TrainLoss, _lastBpc ?? double.NaN, report.Merged, report.Adopted);
        RoundCompleted?.Invoke(report);
    }

    private void PublishPrivacyMetrics()
    {
        if (_parts.Ledger is { } ledger)
        {
            Privacy.PrivacyBudgetStatus status = ledger.GetStatus();
            Metrics.EpsilonSpent.Set(status.SpentEpsilon);
            Metrics.EpsilonBudget.Set(status.BudgetEpsilon);
            Metrics.LedgerTruncated.Set(status.State == Privacy.PrivacyBudgetState.Truncated ? 1 : 0);
            Metrics.NoiseMultiplier.Set(status.Mechanism.NoiseMultiplier);
            Metrics.SamplingRate.Set(status.Mechanism.SamplingRate);
            Metrics.PrivacyLevel.WithLabels(status.Level).Set(1);
        }
        else
        {
            Metrics.PrivacyLevel.WithLabels(Privacy.PrivacyLevels.Off).Set(1);
        }
    }

    private void SaveCheckpoint(long round, ILearner learner)
    {
        float[] adapter = learner.GetAdapter();
        byte[] bytes = new byte[adapter.Length * sizeof(float)];
        Buffer.BlockCopy(adapter, 0, bytes, 0, bytes.Length);
        _parts.Checkpoints?.Save(round, bytes, new Dictionary<string, string>
        {
            ["schema"] = learner.Schema.HashHex,
            ["base"] = Convert.ToHexStringLower(learner.BaseModelHash.Span),
        });
        _parts.Export?.Invoke(learner);
    }

    /// <summary>Restores the adapter from the newest valid checkpoint (a corrupt latest falls back to the previous).</summary>
    public long RestoreCheckpoint()
    {
        if (_parts.Checkpoints is not { } store || _parts.Learner is not { } learner)
        {
            return 0;
        }

        Storage.CheckpointLoadResult result = store.LoadLatest();
        foreach (Storage.SkippedCheckpoint skipped in result.Skipped)
        {
            Log.CheckpointSkipped(_logger, skipped.Path, skipped.Reason);
        }

        if (result.Loaded is not { } checkpoint || checkpoint.Payload.Length != learner.Schema.TotalElements * sizeof(float))
        {
            return 0;
        }

        float[] adapter = new float[learner.Schema.TotalElements];
        Buffer.BlockCopy(checkpoint.Payload, 0, adapter, 0, checkpoint.Payload.Length);
        learner.SetAdapter(adapter);
        _round = checkpoint.Round;
        _parts.Rounds?.ResumeRound(checkpoint.Round);
        Debug.Assert(_round >= 0);
        return checkpoint.Round;
    }
}
