using System.Globalization;
using FedMesh.NetSim.Lab.Internal;

namespace FedMesh.NetSim.Lab.Cli;

/// <summary>Prints <see cref="LabStatus"/> as a table: one line per node.</summary>
internal static class LabStatusPrinter
{
    public static async Task PrintAsync(LabStatus status, TextWriter output)
    {
        await output.WriteLineAsync($"lab {status.State.Name}  dir {status.State.Directory}").ConfigureAwait(false);
        await output.WriteLineAsync(string.Format(CultureInfo.InvariantCulture, "{0,-5} {1,-16} {2,-21} {3,-16} {4}", "node", "namespace", "address", "pids", "faults")).ConfigureAwait(false);
        foreach (LabNodeStatus node in status.Nodes)
        {
            string pids = node.RunningPids.Count == 0 ? "stopped" : string.Join(',', node.RunningPids);
            await output.WriteLineAsync(string.Format(
                CultureInfo.InvariantCulture,
                "{0,-5} {1,-16} {2,-21} {3,-16} {4}",
                node.Node.Index,
                node.Node.Namespace,
                $"{node.Node.Address}:{node.Node.Port}",
                pids,
                FaultManager.Describe(node.Node.Faults))).ConfigureAwait(false);
        }
    }
}
