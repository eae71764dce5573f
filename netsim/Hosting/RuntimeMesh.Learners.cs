using System.Globalization;
using System.Text.Json;
using FedMesh.NetSim.Hosting.Internal;
using FedMesh.NetSim.Scenarios;
using FedMesh.NetSim.Hosting;
using FedMesh.Node.Configuration;
using FedMesh.Node.Hosting;
using FedMesh.Node.Storage;
using FedMesh.Protocol.Identity;
using Microsoft.Extensions.Logging.Abstractions;

namespace FedMesh.NetSim.Hosting;

/// <summary>
/// Torch scenarios: every node is what <c>fedmesh run</c> builds from its configuration — the daemon's
/// <see cref="NodeFactory"/> reads the node's data folder (one record per line, the privacy unit), splits it, resolves
/// <c>[privacy]</c> (record-level DP-SGD in the TorchLearner, or node level in the coordinator), opens the ledger and
/// enforces the budget — over netsim's in-memory transport, virtual clock, a shared base and seeded DP randomness
/// (<see cref="NodeHooks"/>), so a run replays byte for byte.
/// </summary>
public sealed partial class RuntimeMesh
{
    private readonly Action<string> _info;
    private readonly TorchWorkload? _torch;
    private readonly Dictionary<int, AssembledNode> _assembled = [];
    private Action<RuntimeRoundSample>? _roundDone;

    /// <summary>The torch host assembles each node once: a restart would reopen its state directory while the stopped
    /// process still holds it, so crash/restart events and churn are refused up front rather than half-run.</summary>
    private static TorchWorkload CheckTorch(Scenario scenario, TorchWorkload workload)
    {
        if (scenario.Churn.Rate > 0 || scenario.Events.FirstOrDefault(e => e.Kind is ScenarioEventKind.Crash or ScenarioEventKind.Restart) is not null)
        {
            workload.Dispose();
            ScenarioEvent? e = scenario.Events.FirstOrDefault(e => e.Kind is ScenarioEventKind.Crash or ScenarioEventKind.Restart);
            throw new ArgumentException(e is null
                ? $"scenario {scenario.Name}: churn is not supported with learner.kind = \"torch\" (nodes are not restarted on the torch host)"
                : $"scenario {scenario.Name}, line {e.Line}: {e.Kind.ToString().ToLowerInvariant()} events are not supported with learner.kind = \"torch\" (nodes are not restarted on the torch host); partitions, joins and leaves are");
        }

        return workload;
    }

    /// <summary>Writes the node's data folder and identity (seeded, so peer ids replay) and assembles it with the
    /// daemon's factory; the learner, ledger and round coordinator are the daemon's.</summary>
    private void StartTorchNode(int node, string? why)
    {
        TorchWorkload torch = _torch!;
        string root = Path.Combine(_stateRoot!, $"node-{node:D5}");
        string state = Path.Combine(root, "state");
        string data = Path.Combine(root, "data");
        Directory.CreateDirectory(data);
        File.WriteAllLines(Path.Combine(data, "records.jsonl"), torch.Records[node].Select(t => JsonSerializer.Serialize(new { text = t })));
        // StateDirectory.Open (in the factory) makes it private; the identity goes in first.
        Directory.CreateDirectory(state);
        string key = new StatePaths(state).IdentityKey;
        if (!File.Exists(key))
        {
            KeyFile.Save(key, _identities[node]);
        }

        int[] neighbours = _graph[node];
        NodeOptions options = torch.Options(
            node, state, data, AddressOf(node).ToString(), Port,
            [.. neighbours.Where(n => n > node).Select(n => $"{AddressOf(n)}:{Port}")],
            neighbours.Length, SimSeeds.Int(_scenario.Seed, "runtime", node, _incarnation[node]));
        var hooks = new NodeHooks
        {
            Transport = TransportOf(node),
            SimulatedCrypto = _scenario.SimulatedCrypto,
            Base = torch.Base,
            DpSeed = SimSeeds.UInt64(_scenario.Seed, "dp", node),
            Release = _byzantine[node] ? own => Attack(node, own) : null,
            Description = _byzantine[node] ? $"netsim {_scenario.Byzantine.Attack}" : null,
        };
        AssembledNode assembled = NodeFactory.Create(options, NullLoggerFactory.Instance, Clock, hooks: hooks);
        _assembled[node] = assembled;
        _learners[node] = assembled.Learner;
        if (why is not null)
        {
            _events.Add(string.Create(CultureInfo.InvariantCulture, $"t={Clock.Elapsed.TotalSeconds:F3}s node {node}: {why}"));
        }

        Started(node, assembled.Runtime);
    }

    private async ValueTask DisposeTorchAsync()
    {
        foreach (AssembledNode assembled in _assembled.OrderBy(a => a.Key).Select(a => a.Value))
        {
            await assembled.DisposeAsync().ConfigureAwait(false);
        }

        _assembled.Clear();
        _torch?.Dispose();
    }
}
