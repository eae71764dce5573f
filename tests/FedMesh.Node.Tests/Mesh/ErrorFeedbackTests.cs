using FedMesh.Node.Mesh;
using FedMesh.Protocol.Deltas;
using NSec.Cryptography;

namespace FedMesh.Node.Tests.Mesh;

public class ErrorFeedbackTests
{
    private static readonly AdapterSchema Schema = new([new TensorInfo("w", [64])]);

    private static readonly Key Signer = CoordinatorKit.NewKey();

    /// <summary>What a receiver decodes from an int8 release of <paramref name="state"/> (signed, decoded by its manifest).</summary>
    private static float[] Int8RoundTrip(float[] state)
    {
        EncodedDelta encoded = DeltaEncoder.EncodeFlat(Schema, state, TensorEncoding.Int8);
        var header = new DeltaHeader
        {
            MeshId = new byte[32],
            BaseModelHash = new byte[32],
            Schema = Schema,
            Sequence = 1,
            Timestamp = DateTimeOffset.UnixEpoch,
            Privacy = new DpParameters(0, 0, null),
        };
        return DeltaDecoder.DecodeFlat(SignedDelta.Create(Signer, header, encoded).Manifest, encoded.Payload.Span);
    }

    /// <summary>A fixed state near convergence: one large coordinate sets the int8 scale, the rest sit between levels.</summary>
    private static float[] State()
    {
        float[] x = Enumerable.Range(0, 64).Select(i => 0.0031f + (i * 0.00017f)).ToArray();
        x[0] = 1f;
        return x;
    }

    [Fact]
    public void Without_feedback_a_fixed_state_is_rounded_the_same_way_every_round_and_the_error_adds_up()
    {
        float[] x = State();
        double[] sum = new double[x.Length];
        const int Rounds = 50;
        for (int r = 0; r < Rounds; r++)
        {
            float[] sent = Int8RoundTrip(x);
            for (int i = 0; i < x.Length; i++)
            {
                sum[i] += sent[i] - x[i];
            }
        }

        double worst = sum.Max(Math.Abs);
        Assert.True(worst > 10 * (1f / 127 / 2), $"accumulated rounding {worst} should grow with the rounds");
    }

    [Fact]
    public void With_feedback_the_releases_sum_to_the_states_sum_within_one_rounding_step()
    {
        float[] x = State();
        var feedback = new ErrorFeedback();
        double[] sum = new double[x.Length];
        const int Rounds = 50;
        for (int r = 0; r < Rounds; r++)
        {
            float[] target = feedback.Compensate(x);
            float[] sent = Int8RoundTrip(target);
            feedback.Prepare(target, sent);
            feedback.Commit();
            for (int i = 0; i < x.Length; i++)
            {
                sum[i] += sent[i] - x[i];
            }
        }

        // Σ sent − Σ x = −residual, and |residual| ≤ half an int8 step (scale = max|x| / 127, plus float slack).
        double step = 1.0 / 127;
        Assert.True(sum.Max(Math.Abs) <= (step / 2) + 1e-5, $"accumulated rounding {sum.Max(Math.Abs)}");
        Assert.True(feedback.MaxResidual <= (step / 2) + 1e-5);
    }

    [Fact]
    public void A_discarded_release_leaves_the_residual_of_the_last_one_that_went_out()
    {
        float[] x = State();
        var feedback = new ErrorFeedback();
        float[] target = feedback.Compensate(x);
        feedback.Prepare(target, Int8RoundTrip(target));
        feedback.Commit();
        float kept = feedback.MaxResidual;
        Assert.True(kept > 0);

        float[] refused = feedback.Compensate(x.Select(v => v * 0.5f).ToArray());
        feedback.Prepare(refused, new float[refused.Length]);
        feedback.Discard();

        Assert.Equal(kept, feedback.MaxResidual);
    }

    [Fact]
    public void A_state_of_another_length_is_refused()
    {
        var feedback = new ErrorFeedback();
        float[] target = feedback.Compensate(new float[4]);
        feedback.Prepare(target, new float[4]);
        feedback.Commit();

        Assert.Throws<ArgumentException>(() => feedback.Compensate(new float[5]));
        Assert.Throws<ArgumentException>(() => feedback.Prepare(new float[3], new float[4]));
    }

    [Fact]
    public void An_int8_coordinator_release_carries_the_rounding_of_the_previous_one()
    {
        using var learner = new CoordinatorKit.StepLearner(0f);
        learner.SetAdapter(Enumerable.Range(0, CoordinatorKit.D).Select(i => i == 0 ? 1f : 0.0031f + (i * 0.00017f)).ToArray());
        RoundCoordinator coordinator = CoordinatorKit.NewCoordinator(
            learner, MeshOptions.Default with { PrivacyEnabled = false, Encoding = TensorEncoding.Int8 });
        float[] x = learner.GetAdapter();
        double[] sum = new double[x.Length];
        for (int r = 0; r < 20; r++)
        {
            RoundReport report = coordinator.RunRound(CancellationToken.None);
            float[] sent = DeltaDecoder.DecodeFlat(report.Released!.Manifest, report.ReleasedPayload.Span);
            for (int i = 0; i < x.Length; i++)
            {
                sum[i] += sent[i] - x[i];
            }
        }

        Assert.True(sum.Max(Math.Abs) <= (1.0 / 127 / 2) + 1e-5, $"20 int8 releases drifted {sum.Max(Math.Abs)} from 20 states");
    }
}
