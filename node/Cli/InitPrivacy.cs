using System.Globalization;
using FedMesh.Node.Configuration;
using FedMesh.Node.Data;
using FedMesh.Node.Data.Redaction;
using FedMesh.Node.Privacy;

namespace FedMesh.Node.Cli;

/// <summary>
/// The privacy defaults `fedmesh init` writes: record level, ε = <see cref="PrivacySection.EpsilonBudget"/> over
/// <see cref="PrivacySection.PlannedRounds"/> rounds of the default local steps and batch. When the data folder
/// already holds documents, σ is planned for their number now (<see cref="PrivacyPlanner"/>) and written into the file,
/// so the operator sees it; otherwise σ stays 0 and the node plans it at start from the data it finds.
/// </summary>
internal static class InitPrivacy
{
    /// <summary>The overrides to add (σ when it could be planned) and one line saying what was chosen.</summary>
    public static (IReadOnlyDictionary<string, object> Overrides, string Summary) For(string dataFolder, NodeOptions defaults)
    {
        PrivacySection p = defaults.Privacy;
        int records = CountTrainingRecords(dataFolder, defaults.Data);
        if (records == 0)
        {
            return (new Dictionary<string, object>(), string.Create(CultureInfo.InvariantCulture,
                $"privacy   record level, ε {p.EpsilonBudget} over {p.PlannedRounds} planned rounds; σ is planned at start from the documents in {dataFolder} (see `fedmesh privacy plan`)"));
        }

        PrivacyPlan plan = PrivacyPlanner.Plan(new PrivacyPlanRequest(
            p.EpsilonBudget, p.Delta, records, defaults.Learning.BatchSize, defaults.Gossip.LocalSteps, p.PlannedRounds));
        return (new Dictionary<string, object> { ["privacy.noise_multiplier"] = plan.NoiseMultiplier }, string.Create(CultureInfo.InvariantCulture,
            $"privacy   record level, σ {plan.NoiseMultiplier:F3} for {records} training documents: ε {plan.Epsilon:F2} of {p.EpsilonBudget} after {p.PlannedRounds} rounds (δ {plan.Delta:G3})"));
    }

    /// <summary>Training documents (after the held-out split) in <paramref name="folder"/>; 0 when it holds none.</summary>
    private static int CountTrainingRecords(string folder, DataSection data)
    {
        if (!Directory.Exists(folder) || !Directory.EnumerateFileSystemEntries(folder).Any())
        {
            return 0;
        }

        LocalDataSet set = new LocalDataLoader(DataLoadOptions.Default, new Redactor(RedactionOptions.None)).Load(folder);
        return set.Documents.Count == 0 ? 0 : set.Split(0, data.HoldoutFraction).Train.Count;
    }
}
