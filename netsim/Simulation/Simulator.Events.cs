using FedMesh.NetSim.Network;
using FedMesh.NetSim.Scenarios;

namespace FedMesh.NetSim.Simulation;

/// <summary>Timed scenario events and churn.</summary>
public sealed partial class Simulator
{
    private readonly Dictionary<int, int> _restartAt = [];

    /// <summary>Applies one timed event now.</summary>
    public void Apply(ScenarioEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        switch (e.Kind)
        {
            case ScenarioEventKind.Partition:
                Network.Partition(e.Groups.Select(g => (IReadOnlyCollection<int>)g.Value).ToArray());
                Log($"round {e.Round}: partition {string.Join(" ", e.Groups.Select(g => $"{g.Key}=[{string.Join(',', g.Value)}]"))} (line {e.Line})");
                DropSeveredConnections();
                break;
            case ScenarioEventKind.Heal:
                Network.Heal();
                Log($"round {e.Round}: heal (line {e.Line})");
                // The daemon's dial loop redials lost neighbours at once; the Hello catch-up then exchanges the newest
                // state per origin, so what each side published during the split crosses now, not at the next
                // anti-entropy tick.
                Reconnect();
                break;
            case ScenarioEventKind.Crash:
                foreach (int n in e.Nodes)
                {
                    StopProcess(_nodes[n], leave: false, $"round {e.Round}: crash (line {e.Line})");
                }

                break;
            case ScenarioEventKind.Leave:
                foreach (int n in e.Nodes)
                {
                    StopProcess(_nodes[n], leave: true, $"round {e.Round}: leave (line {e.Line})");
                }

                break;
            case ScenarioEventKind.Restart or ScenarioEventKind.Join:
                foreach (int n in e.Nodes)
                {
                    StartProcess(_nodes[n], $"round {e.Round}: {(e.Kind == ScenarioEventKind.Join ? "join" : "restart")} (line {e.Line})");
                }

                break;
            case ScenarioEventKind.Degrade:
                Degrade(e);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(e), e.Kind, "unknown event kind");
        }
    }

    private void Degrade(ScenarioEvent e)
    {
        LinkProfile link = e.Link!;
        if (e.Nodes.Count == 0)
        {
            Network.DefaultProfile = link;
        }
        else
        {
            foreach (int n in e.Nodes)
            {
                foreach (int peer in _graph[n])
                {
                    Network.SetLink(n, peer, link);
                    Network.SetLink(peer, n, link);
                }
            }
        }

        string who = e.Nodes.Count == 0 ? "all links" : $"links of nodes [{string.Join(',', e.Nodes)}]";
        Log($"round {e.Round}: degrade {who}: latency {link.BaseLatency.TotalMilliseconds} ms, loss {link.Loss}, {link.BandwidthBytesPerSecond * 8 / 1e6} Mbit/s (line {e.Line})");
    }

    /// <summary>Restarts due this round, then each up node crashes with probability <see cref="ChurnSpec.Rate"/>
    /// (one draw per node in index order, so the draws do not depend on who is down).</summary>
    private void ApplyChurn(int round)
    {
        foreach (int n in _restartAt.Where(r => r.Value == round).Select(r => r.Key).Order().ToArray())
        {
            _restartAt.Remove(n);
            StartProcess(_nodes[n], $"round {round}: churn restart");
        }

        if (_scenario.Churn.Rate <= 0 || round == 1)
        {
            return;
        }

        foreach (SimNode node in _nodes)
        {
            bool crash = _churn.NextDouble() < _scenario.Churn.Rate;
            if (crash && node.Up && !_restartAt.ContainsKey(node.Index))
            {
                StopProcess(node, leave: false, $"round {round}: churn crash (restarts in round {round + _scenario.Churn.DowntimeRounds})");
                _restartAt[node.Index] = round + _scenario.Churn.DowntimeRounds;
            }
        }
    }
}
