using FedMesh.Node.Gossip;
using FedMesh.Node.Mesh;
using FedMesh.Node.Reputation;
using FedMesh.Protocol;
using FedMesh.Protocol.Deltas;
using FedMesh.Protocol.Identity;
using NSec.Cryptography;

namespace FedMesh.Node.Tests.Mesh;

/// <summary>Modulo int8 releases (<c>gossip.encoding = "int8-wz"</c>, SPEC.md §5.4 code 5): the sender's step follows the
/// spread of the states it heard, receivers decode against their own state, and error feedback still telescopes.</summary>
public class ModuloReleaseTests
{
    private static readonly MeshOptions Options = MeshOptions.Default with { PrivacyEnabled = false, Encoding = TensorEncoding.ModuloInt8 };

    [Fact]
    public void The_step_follows_the_inbox_spread_and_a_receiver_within_it_decodes_within_half_a_step()
    {
        // States near 2 (like the surrogate's, max|x| ≈ 2.4) that differ by at most 0.01: int8's step would be 2.06 / 127
        // ≈ 0.016, the modulo step 2 × 0.01 / 127 ≈ 1.6e-4, 100× finer.
        (RoundReport report, float[] x, float[] neighbour) = FineModuloRelease();
        ManifestTensor tensor = report.Released!.Manifest.Tensors[0];
        Assert.Equal(TensorEncoding.ModuloInt8, tensor.Encoding);
        double spread = x.Zip(neighbour, (a, b) => Math.Abs(a - b)).Max();
        Assert.Equal(MathF.BitIncrement((float)(Options.ModuloMargin * spread / 127)), tensor.Scale);
        Assert.Equal(CoordinatorKit.D + 2, report.ReleasedPayload.Length); // 64 residues and one u16 check

        // The neighbour, as a receiver, decodes the release to within half a step of what was sent, and to exactly what
        // the sender reports it released (what its error feedback subtracted).
        using var receiverLearner = new CoordinatorKit.StepLearner(0f);
        receiverLearner.SetAdapter(neighbour);
        RoundCoordinator receiver = CoordinatorKit.NewCoordinator(receiverLearner, Options);
        float[] decoded = receiver.DecodeAgainstOwn(report.Released.Manifest, report.ReleasedPayload.Span);
        Assert.Equal(report.ReleasedValues, decoded);
        for (int i = 0; i < x.Length; i++)
        {
            Assert.True(Math.Abs(decoded[i] - x[i]) <= (tensor.Scale / 2.0) + 2.4e-7, $"element {i}: {x[i]} → {decoded[i]}");
        }

        // A receiver 0.05 away (≈ 317 steps), holding no other state to try, cannot decode it: the check refuses what would
        // have wrapped.
        receiverLearner.SetAdapter(x.Select(v => v + 0.05f).ToArray());
        Assert.Throws<ProtocolException>(() => receiver.DecodeAgainstOwn(report.Released.Manifest, report.ReleasedPayload.Span));
    }

    /// <summary>A modulo release from a sender at states near 2 that differ by at most 0.01 (step ≈ 1.6e-4, so a receiver
    /// more than about 0.02 off in an element fails the check), and the states it was made from.</summary>
    private static (RoundReport Report, float[] Sender, float[] Neighbour) FineModuloRelease()
    {
        using var learner = new CoordinatorKit.StepLearner(0f);
        float[] x = Enumerable.Range(0, CoordinatorKit.D).Select(i => 2f + (i * 0.001f)).ToArray();
        learner.SetAdapter(x);
        RoundCoordinator sender = CoordinatorKit.NewCoordinator(learner, Options);
        float[] neighbour = x.Select((v, i) => v + (i == 3 ? 0.01f : -0.002f)).ToArray();
        Assert.Null(sender.Offer(CoordinatorKit.Stored(CoordinatorKit.NewKey(), neighbour), neighbour));
        RoundReport report = sender.RunRound(CancellationToken.None);
        Assert.Equal(TensorEncoding.ModuloInt8, report.Released!.Manifest.Tensors[0].Encoding);
        return (report, x, neighbour);
    }

    [Fact]
    public void A_far_state_widens_the_step_until_its_origin_is_ignored()
    {
        // byzantine-30 with int8-wz: an attacker's far state in the inbox set the spread, so every honest sender that
        // heard one went out as plain int8, 100× coarser than its honest neighbourhood needs, even after reputation had
        // cut the attacker off. The sender trains 0.001 per element a round (change 0.008, automatic distance bound
        // 10 × 0.008 = 0.08); after its first round it holds a neighbour's state within 0.004 per element and one 2 away
        // in every element (distance 16, far beyond the bound).
        using var learner = new CoordinatorKit.StepLearner(0.001f);
        float[] x = Enumerable.Range(0, CoordinatorKit.D).Select(i => 2f + (i * 0.001f)).ToArray();
        learner.SetAdapter(x);
        var reputation = new ReputationTracker(ReputationOptions.Default with { InitialTrust = 1 });
        RoundCoordinator sender = CoordinatorKit.NewCoordinator(learner, Options, reputation: reputation);
        Assert.Equal(TensorEncoding.Int8, sender.RunRound(CancellationToken.None).Released!.Manifest.Tensors[0].Encoding); // nothing heard yet

        float[] state = learner.GetAdapter();
        float[] neighbour = state.Select((v, i) => v + (i % 2 == 0 ? 0.004f : -0.003f)).ToArray();
        float[] far = state.Select(v => v + 2f).ToArray();
        Key farKey = CoordinatorKit.NewKey();
        Assert.Null(sender.Offer(CoordinatorKit.Stored(CoordinatorKit.NewKey(), neighbour), neighbour));
        Assert.Null(sender.Offer(CoordinatorKit.Stored(farKey, far), far));

        // While the far origin is trusted (a joiner still at the initial adapter looks like this) the step covers it:
        // 2 × 2 / 127 is coarser than int8's 2.07 / 127, so the release goes out as int8 and the far node decodes it.
        Assert.Equal(TensorEncoding.Int8, sender.RunRound(CancellationToken.None).Released!.Manifest.Tensors[0].Encoding);

        // Once reputation ignores it, the step is fitted to the neighbour (a spread of a few hundredths at most: 0.004,
        // the sender's own training and merges since, and the rounding the int8 releases carried over): modulo int8,
        // at least 10× finer than int8's 2.07 / 127.
        PeerId farId = PeerId.FromPublicKey(farKey.PublicKey.Export(KeyBlobFormat.RawPublicKey));
        for (int k = 0; k < 100 && !reputation.IsIgnored(farId); k++)
        {
            reputation.RecordRejected(farId);
        }

        Assert.True(reputation.IsIgnored(farId));
        RoundReport report = sender.RunRound(CancellationToken.None);
        ManifestTensor tensor = report.Released!.Manifest.Tensors[0];
        Assert.Equal(TensorEncoding.ModuloInt8, tensor.Encoding);
        Assert.True(tensor.Scale < 2.07 / 127 / 10, $"step {tensor.Scale}");

        // The neighbour decodes it; the far state's holder cannot and refuses it (its own state and every state it holds
        // are out of range) rather than merging a wrapped value.
        using var near = new CoordinatorKit.StepLearner(0f);
        near.SetAdapter(neighbour);
        Assert.Equal(report.ReleasedValues, CoordinatorKit.NewCoordinator(near, Options).DecodeAgainstOwn(report.Released.Manifest, report.ReleasedPayload.Span));
        using var away = new CoordinatorKit.StepLearner(0f);
        away.SetAdapter(far);
        Assert.Throws<ProtocolException>(() => CoordinatorKit.NewCoordinator(away, Options).DecodeAgainstOwn(report.Released.Manifest, report.ReleasedPayload.Span));
    }

    [Fact]
    public void A_receiver_a_merge_pulled_out_of_range_decodes_against_its_state_before_that_merge()
    {
        // byzantine-30's failure with int8-wz: attackers pulled a node away in one round, and the honest releases of the
        // next, fine-stepped for the honest states their senders heard, failed its check while the attackers' (plain
        // int8) did not. Here the receiver starts at the sender's state and merges a state 1 away in every element (mean
        // rule, unbounded: the learner does not move, so no automatic distance bound): its own state ends 0.25 off,
        // ≈ 1,500 steps.
        (RoundReport report, float[] x, _) = FineModuloRelease();
        using var learner = new CoordinatorKit.StepLearner(0f);
        learner.SetAdapter(x);
        RoundCoordinator receiver = CoordinatorKit.NewCoordinator(learner, Options);
        float[] far = x.Select(v => v + 1f).ToArray();
        Assert.Null(receiver.Offer(CoordinatorKit.Stored(CoordinatorKit.NewKey(), far), far));
        receiver.RunRound(CancellationToken.None);
        float step = report.Released!.Manifest.Tensors[0].Scale;
        Assert.True(learner.GetAdapter().Zip(x, (a, b) => Math.Abs(a - b)).Max() > 128 * step, "the merge should have moved the receiver out of range");
        Assert.Throws<ProtocolException>(() => DeltaDecoder.DecodeFlatAgainst(report.Released.Manifest, report.ReleasedPayload.Span, learner.GetAdapter()));

        // Its state before the merge is within range: the release decodes exactly to what the sender released.
        Assert.Equal(report.ReleasedValues, receiver.DecodeAgainstOwn(report.Released.Manifest, report.ReleasedPayload.Span));
    }

    [Fact]
    public void A_receiver_out_of_range_decodes_against_a_peer_state_it_holds_within_range_and_refuses_when_it_holds_none()
    {
        (RoundReport report, float[] x, float[] neighbour) = FineModuloRelease();
        float[] away = x.Select(v => v + 0.05f).ToArray(); // ≈ 317 steps: its own state fails the check

        // Holding the sender's neighbour's state (within the sender's range by construction): decoded exactly.
        using var learner = new CoordinatorKit.StepLearner(0f);
        learner.SetAdapter(away);
        RoundCoordinator holding = CoordinatorKit.NewCoordinator(learner, Options);
        Assert.Null(holding.Offer(CoordinatorKit.Stored(CoordinatorKit.NewKey(), neighbour), neighbour));
        Assert.Equal(report.ReleasedValues, holding.DecodeAgainstOwn(report.Released!.Manifest, report.ReleasedPayload.Span));

        // Holding only states farther off than its own: every one fails the check, and the release is refused.
        using var farLearner = new CoordinatorKit.StepLearner(0f);
        farLearner.SetAdapter(away);
        RoundCoordinator stranded = CoordinatorKit.NewCoordinator(farLearner, Options);
        for (int k = 1; k <= 3; k++)
        {
            float[] far = x.Select(v => v - (0.5f * k)).ToArray();
            Assert.Null(stranded.Offer(CoordinatorKit.Stored(CoordinatorKit.NewKey(), far), far));
        }

        Assert.Throws<ProtocolException>(() => stranded.DecodeAgainstOwn(report.Released.Manifest, report.ReleasedPayload.Span));
    }

    [Fact]
    public void With_nothing_heard_releases_go_out_as_int8_and_carry_the_rounding_of_the_previous_one()
    {
        // Nothing heard: no spread to take the step from, and a step wide enough for any receiver (2 max|x| / 127, as
        // before) would be twice int8's, so the tensor goes out as plain int8 (step max|target| / 127, target = the state
        // plus the residual: 1 to 1 + half a step). Over 20 releases their sum stays within half a step of the states'
        // sum (error feedback).
        using var learner = new CoordinatorKit.StepLearner(0f);
        learner.SetAdapter(Enumerable.Range(0, CoordinatorKit.D).Select(i => i == 0 ? 1f : 0.0031f + (i * 0.00017f)).ToArray());
        RoundCoordinator coordinator = CoordinatorKit.NewCoordinator(learner, Options);
        float[] x = learner.GetAdapter();
        double[] sum = new double[x.Length];
        float step = 0;
        for (int r = 0; r < 20; r++)
        {
            RoundReport report = coordinator.RunRound(CancellationToken.None);
            ManifestTensor tensor = report.Released!.Manifest.Tensors[0];
            Assert.Equal(TensorEncoding.Int8, tensor.Encoding);
            Assert.InRange(tensor.Scale, 1f / 127, (1f / 126) + 1e-7f);
            step = Math.Max(step, tensor.Scale);
            Assert.Equal(CoordinatorKit.D, report.ReleasedPayload.Length);
            float[] sent = DeltaDecoder.DecodeFlat(report.Released.Manifest, report.ReleasedPayload.Span);
            for (int i = 0; i < x.Length; i++)
            {
                sum[i] += sent[i] - x[i];
            }
        }

        // Without feedback element 1 (0.00327, below half a step of 0.0079) would go out as 0 every time: 0.065 off.
        Assert.True(sum.Max(Math.Abs) <= (step / 2.0) + 1e-5, $"20 releases drifted {sum.Max(Math.Abs)} from 20 states");
    }

    [Theory]
    // Heard states within 0.01 of values up to 2.4: 2 × 0.01 / 127, rounded up to the next binary32.
    [InlineData(2.4, 0.01, 2.0, 2 * 0.01 / 127)]
    // Margin 1: half that.
    [InlineData(2.4, 0.01, 1.0, 0.01 / 127)]
    // A spread far below the values: at least max|x| / 2^22, the codec's range.
    [InlineData(2.4, 1e-9, 2.0, 2.4 / 4194304)]
    public void The_modulo_step_is_margin_times_the_spread_over_127_within_the_codecs_range(double maxAbs, double spread, double margin, double expected)
    {
        float? step = RoundCoordinator.ModuloStep(maxAbs, spread, margin);
        Assert.Equal(MathF.BitIncrement((float)expected), step);
    }

    [Theory]
    // Nothing heard.
    [InlineData(2.4, -1, 2.0)]
    // Spread as wide as half the values: 2 × 1.2 / 127 = int8's 2.4 / 127, not finer.
    [InlineData(2.4, 1.2, 2.0)]
    // DP-noised states further apart than their values.
    [InlineData(0.01, 0.03, 2.0)]
    // An all-zero tensor (LoRA B at the start): int8 is exact.
    [InlineData(0, 0, 2.0)]
    public void Where_the_modulo_step_would_not_be_finer_than_int8s_the_tensor_goes_out_as_int8(double maxAbs, double spread, double margin) =>
        Assert.Null(RoundCoordinator.ModuloStep(maxAbs, spread, margin));

    [Fact]
    public void The_configuration_name_int8_wz_denotes_modulo_int8_and_is_the_default()
    {
        Assert.Equal(TensorEncoding.ModuloInt8, WireEncodings.Parse("int8-wz"));
        Assert.Equal("int8-wz", WireEncodings.Name(TensorEncoding.ModuloInt8));
        Assert.Contains("int8-wz", WireEncodings.Names);
        Assert.Equal(WireEncodings.Int8Wz, new FedMesh.Node.Configuration.GossipSection().Encoding);
        Assert.Equal("gossip.modulo_margin must be between 1 and 1000", (MeshOptions.Default with { ModuloMargin = 0.5 }).Problem());
    }
}
