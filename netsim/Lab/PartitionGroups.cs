using System.Globalization;

namespace FedMesh.NetSim.Lab;

/// <summary>Parses <c>--groups 0,1:2,3</c>: groups separated by ':', node indices by ','.</summary>
public static class PartitionGroups
{
    /// <summary>
    /// Returns each node's group number. Every node 0..<paramref name="nodeCount"/>-1 must appear exactly once,
    /// so a typo cannot silently leave a node connected to both sides.
    /// </summary>
    public static IReadOnlyList<int> Parse(string text, int nodeCount)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length > 4096)
        {
            throw new LabException("--groups is longer than 4096 characters");
        }

        var groupOf = new int?[nodeCount];
        string[] groups = text.Split(':');
        if (groups.Length < 2)
        {
            throw new LabException($"--groups '{text}' has one group; a partition needs at least two, e.g. 0,1:2,3");
        }

        for (int g = 0; g < groups.Length; g++)
        {
            foreach (string item in groups[g].Split(','))
            {
                string trimmed = item.Trim();
                if (!int.TryParse(trimmed, NumberStyles.None, CultureInfo.InvariantCulture, out int index) || index >= nodeCount)
                {
                    throw new LabException($"--groups '{text}': '{trimmed}' is not a node index 0-{nodeCount - 1}");
                }

                if (groupOf[index] is not null)
                {
                    throw new LabException($"--groups '{text}': node {index} is listed twice");
                }

                groupOf[index] = g;
            }
        }

        int[] missing = Enumerable.Range(0, nodeCount).Where(i => groupOf[i] is null).ToArray();
        return missing.Length == 0
            ? groupOf.Select(g => g!.Value).ToList()
            : throw new LabException($"--groups '{text}' leaves out node(s) {string.Join(", ", missing)}; list every node once");
    }
}
