using System.CommandLine;
using System.Globalization;
using System.Text.Json;

namespace FedMesh.Node.Privacy;

/// <summary>
/// `fedmesh privacy plan --epsilon E --records N --batch B --steps S --rounds R [--delta D] [--json]`: the noise
/// multiplier σ of record-level DP-SGD that keeps R rounds of S steps at q = B/N within (E, D), and ε after each round
/// (<see cref="PrivacyPlanner"/>). Put σ into <c>privacy.noise_multiplier</c>, or leave it 0 for the node to plan it.
/// </summary>
public static class PrivacyPlanCommand
{
    /// <summary>Rounds listed in the text output: the first few and then every tenth of the run, not all 1000.</summary>
    private const int TextRows = 10;

    public static Command Create()
    {
        var epsilon = new Option<double>("--epsilon") { Description = "Privacy budget ε for the whole run", DefaultValueFactory = _ => Configuration.PrivacySection.Default.EpsilonBudget };
        var records = new Option<int>("--records") { Description = "Training records n (documents of the data folder)", Required = true };
        var batch = new Option<int>("--batch") { Description = "Expected batch B (learning.batch_size)", DefaultValueFactory = _ => Configuration.LearningSection.Default.BatchSize };
        var steps = new Option<int>("--steps") { Description = "Local steps per round (gossip.local_steps)", DefaultValueFactory = _ => Configuration.GossipSection.Default.LocalSteps };
        var rounds = new Option<long>("--rounds") { Description = "Planned rounds (privacy.planned_rounds)", DefaultValueFactory = _ => Configuration.PrivacySection.Default.PlannedRounds };
        var delta = new Option<double>("--delta") { Description = "δ; 0 = min(1e-5, 1/n)", DefaultValueFactory = _ => 0 };
        var json = new Option<bool>("--json") { Description = "Print the plan as JSON (ε after every round)" };
        var command = new Command("plan", "Choose the DP-SGD noise multiplier σ that keeps a planned run within the ε budget.")
        {
            epsilon, records, batch, steps, rounds, delta, json,
        };
        command.SetAction(parse => Run(
            new PrivacyPlanRequest(parse.GetValue(epsilon), parse.GetValue(delta), parse.GetValue(records), parse.GetValue(batch), parse.GetValue(steps), parse.GetValue(rounds)),
            parse.GetValue(json),
            Console.Out,
            Console.Error));
        return command;
    }

    /// <summary>Writes the plan; returns 0, or 1 for a bad or unreachable request (the message says why).</summary>
    public static int Run(PrivacyPlanRequest request, bool asJson, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        if (request.Problem() is { } problem)
        {
            error.WriteLine($"fedmesh privacy plan: {problem}");
            return 1;
        }

        PrivacyPlan plan;
        try
        {
            plan = PrivacyPlanner.Plan(request);
        }
        catch (ArgumentException ex)
        {
            error.WriteLine($"fedmesh privacy plan: {ex.Message}");
            return 1;
        }

        CultureInfo inv = CultureInfo.InvariantCulture;
        if (asJson)
        {
            using var stream = new MemoryStream();
            using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
            {
                w.WriteStartObject();
                w.WriteString("level", PrivacyLevels.Record);
                w.WriteNumber("noise_multiplier", plan.NoiseMultiplier);
                w.WriteNumber("sampling_rate", plan.SamplingRate);
                w.WriteNumber("delta", plan.Delta);
                w.WriteNumber("epsilon_budget", request.Epsilon);
                w.WriteNumber("epsilon", plan.Epsilon);
                w.WriteNumber("records", request.Records);
                w.WriteNumber("batch", request.Batch);
                w.WriteNumber("steps_per_round", request.StepsPerRound);
                w.WriteNumber("rounds", request.Rounds);
                w.WriteNumber("total_steps", plan.TotalSteps);
                w.WriteStartArray("epsilon_after_round");
                foreach (double e in plan.EpsilonAfterRound)
                {
                    w.WriteNumberValue(Math.Round(e, 6));
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

            output.WriteLine(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
            return 0;
        }

        output.WriteLine(string.Create(inv, $"sigma       {plan.NoiseMultiplier:F3}   (privacy.noise_multiplier)"));
        output.WriteLine(string.Create(inv, $"q           {plan.SamplingRate:G6}   (batch {request.Batch} / {request.Records} records, Poisson sampling)"));
        output.WriteLine(string.Create(inv, $"epsilon     {plan.Epsilon:F4} of {request.Epsilon} after {request.Rounds} rounds × {request.StepsPerRound} steps = {plan.TotalSteps} steps, at delta {plan.Delta:G3}"));
        output.WriteLine();
        output.WriteLine($"{"round",8}  {"epsilon",9}");
        long every = Math.Max(1, request.Rounds / TextRows);
        for (long r = 1; r <= request.Rounds; r++)
        {
            if (r == 1 || r % every == 0 || r == request.Rounds)
            {
                output.WriteLine(string.Create(inv, $"{r,8}  {plan.EpsilonAfterRound[(int)(r - 1)],9:F4}"));
            }
        }

        return 0;
    }
}
