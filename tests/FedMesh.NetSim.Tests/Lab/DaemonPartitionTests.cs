using System.Text.Json;
using FedMesh.NetSim.Lab;
using FedMesh.Node.Configuration;
using FedMesh.Node.Data.Corpora;
using FedMesh.Node.Learning;
using FedMesh.Node.Storage;
using FedMesh.Protocol.Identity;

namespace FedMesh.NetSim.Tests.Lab;

/// <summary>
/// Issue 5, test 5: four real <c>fedmesh run</c> daemons in the namespace lab, partitioned 0,1:2,3 and healed.
/// Lives here rather than in FedMesh.Node.Tests/Integration because it needs the lab and its prerequisites check
/// (<see cref="LabFactAttribute"/>). Progress is read from the nodes' state directories (checkpoints, audit log),
/// which the test can see, rather than their admin endpoints, which listen inside the namespaces.
/// </summary>
public sealed class DaemonPartitionTests
{
    private const int Nodes = 4;

    /// <summary>Outside the sink tests' 7600 range so a leftover lab cannot collide.</summary>
    private const int BasePort = 7700;

    /// <summary>Same tiny base as the loopback daemon tests: a few seconds of pretraining.</summary>
    private const int PretrainSteps = 60;

    /// <summary>Reconnection after a heal waits for the dial backoff (capped at 60 s), so patience is generous.</summary>
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    [LabFact]
    public async Task Partitioned_daemons_keep_completing_rounds_on_both_sides_and_exchange_deltas_again_after_heal()
    {
        string root = TestLab.CreateRoot();
        string name = TestLab.UniqueName();
        string cache = Path.Combine(root, "cache");
        BaseModelCache.GetOrCreate(PretrainOptions.Default with { Model = ModelOptions.Default, Steps = PretrainSteps }, cache);
        SotuPartition partition = SotuPartition.Create(SotuCorpus.ReadShipped(), Nodes, SotuSplitOptions.Default);
        string[] ids = new string[Nodes];
        string[] states = new string[Nodes];
        for (int i = 0; i < Nodes; i++)
        {
            // Identities first: every configuration names the others' peer ids in its seeds.
            states[i] = Path.Combine(root, $"n{i}", "state");
            using StateDirectory state = StateDirectory.Open(states[i]);
            using NodeIdentity identity = KeyFile.Create(state.Paths.IdentityKey);
            ids[i] = identity.PeerId.Value;
        }

        for (int i = 0; i < Nodes; i++)
        {
            string data = Path.Combine(root, $"n{i}", "data");
            Directory.CreateDirectory(data);
            // Ten 3000-character documents from the node's era (small, so every round's evaluations are quick).
            int n = 0;
            foreach (string piece in partition.Shards[i].Addresses.SelectMany(a => a.Text.Chunk(3000).Select(c => new string(c))).Take(10))
            {
                File.WriteAllText(Path.Combine(data, $"doc{n++}.txt"), piece);
            }

            int self = i;
            ConfigWriter.WriteDefault(Path.Combine(root, $"n{i}.toml"), new Dictionary<string, object>
            {
                ["node.name"] = $"n{i}",
                ["node.state_dir"] = states[i],
                ["node.seed"] = (long)i + 1,
                ["network.listen_address"] = LabNames.NodeAddress(name, i).ToString(),
                ["network.listen_port"] = BasePort + i,
                ["network.mesh_id"] = "partition",
                ["network.mdns"] = false,
                ["network.seeds"] = Enumerable.Range(0, Nodes).Where(j => j != self).Select(j => $"{ids[j]}@{LabNames.NodeAddress(name, j)}:{BasePort + j}").ToArray(),
                ["data.folder"] = data,
                ["learning.pretrain_steps"] = PretrainSteps,
                ["learning.threads"] = 1,
                ["gossip.period_seconds"] = 2.0,
                ["gossip.local_steps"] = 5,
                ["privacy.level"] = "off",
                ["admin.enabled"] = false,
                ["metrics.enabled"] = false,
            });
        }

        string command = $"/usr/bin/env {BaseModelCache.DirectoryVariable}={cache} {string.Join(' ', FedMesh.Node.Hosting.FedmeshExecutable.Command())} run --config {root}/n{{index}}.toml";
        var lab = new NamespaceLab(TestLab.Options(root) with { StartupGrace = TimeSpan.FromSeconds(2) });
        try
        {
            await lab.UpAsync(new LabUpRequest { Name = name, Nodes = Nodes, Command = command, BasePort = BasePort });
            int[] left = [0, 1], right = [2, 3];
            await WaitAsync(() => Cross(states, ids, left, right) > 0 && Cross(states, ids, right, left) > 0, "deltas across the mesh before the partition", lab, name);

            await lab.PartitionAsync(name, "0,1:2,3");
            long[] roundsAtPartition = states.Select(LastRound).ToArray();
            // One round to settle (a delta verified just before the cut may still be audited), then nothing crosses.
            await WaitAsync(() => states.Select(LastRound).Zip(roundsAtPartition).All(r => r.First >= r.Second + 1), "a round on every node while partitioned", lab, name);
            long[] crossAtCut = [Cross(states, ids, left, right), Cross(states, ids, right, left)];
            await WaitAsync(() => states.Select(LastRound).Zip(roundsAtPartition).All(r => r.First >= r.Second + 4), "three more rounds on every node while partitioned", lab, name);
            long[] crossAtEnd = [Cross(states, ids, left, right), Cross(states, ids, right, left)];
            Assert.True(crossAtCut.SequenceEqual(crossAtEnd), $"deltas crossed the partition: {string.Join(",", crossAtCut)} -> {string.Join(",", crossAtEnd)}");

            await lab.HealAsync(name);
            long leftFromRight = Cross(states, ids, left, right), rightFromLeft = Cross(states, ids, right, left);
            await WaitAsync(() => Cross(states, ids, left, right) > leftFromRight && Cross(states, ids, right, left) > rightFromLeft, "deltas across the healed partition", lab, name);
        }
        finally
        {
            await lab.DownAsync(name);
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>Deltas the nodes in <paramref name="to"/> received from origins in <paramref name="from"/> (audit logs).</summary>
    private static long Cross(string[] states, string[] ids, int[] to, int[] from)
    {
        var origins = from.Select(i => ids[i]).ToHashSet(StringComparer.Ordinal);
        return to.Sum(i => AuditLines(new StatePaths(states[i]).AuditLog)
            .Count(l => l.GetProperty("kind").GetString() == "received" && origins.Contains(l.GetProperty("origin").GetString()!)));
    }

    /// <summary>The newest round with a checkpoint (round-NNN.ckpt), 0 before the first.</summary>
    private static long LastRound(string state)
    {
        string dir = new StatePaths(state).Checkpoints;
        return Directory.Exists(dir)
            ? Directory.EnumerateFiles(dir, "round-*.ckpt").Select(f => long.Parse(Path.GetFileNameWithoutExtension(f)["round-".Length..], System.Globalization.CultureInfo.InvariantCulture)).DefaultIfEmpty(0).Max()
            : 0;
    }

    private static List<JsonElement> AuditLines(string path)
    {
        if (!File.Exists(path))
        {
            return [];
        }

        // The daemon appends while we read: only whole lines count.
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        var lines = new List<JsonElement>();
        while (reader.ReadLine() is { } line)
        {
            try
            {
                lines.Add(JsonDocument.Parse(line).RootElement.Clone());
            }
            catch (JsonException)
            {
                break;
            }
        }

        return lines;
    }

    private static async Task WaitAsync(Func<bool> done, string what, NamespaceLab lab, string name)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!done())
        {
            if (clock.Elapsed > Patience)
            {
                LabState state = lab.Store.Load(name);
                string logs = string.Join("\n", state.Nodes.Select(n => $"--- n{n.Index}:\n" + string.Join("\n", File.ReadLines(n.LogPath).TakeLast(15))));
                Assert.Fail($"timed out after {Patience} waiting for {what}\n{logs}");
            }

            await Task.Delay(500);
        }
    }
}
