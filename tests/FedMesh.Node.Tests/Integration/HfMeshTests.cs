using System.Text.Json;
using FedMesh.Node.Hosting;
using FedMesh.Node.Learning;
using FedMesh.Node.Learning.HuggingFace;
using FedMesh.Node.Tests.Cli;
using FedMesh.Node.Tests.Learning.HuggingFace;
using Xunit.Abstractions;

namespace FedMesh.Node.Tests.Integration;

/// <summary>
/// Issue 14 end to end: two `fedmesh run` daemons on a small generated Llama-layout checkpoint (BF16, grouped-query
/// attention) exchange and merge adapters; then `fedmesh eval`, `fedmesh generate` and `fedmesh export --format peft`
/// on the result, and the PEFT export re-imported exactly.
/// </summary>
[Collection(DaemonCollection.Name)]
public sealed class HfMeshTests(DaemonLab lab, HfCheckpoints checkpoints, ITestOutputHelper output) : IClassFixture<DaemonLab>, IClassFixture<HfCheckpoints>
{
    [SkippableFact]
    public async Task Two_daemons_on_a_llama_checkpoint_merge_then_eval_generate_export_and_reimport()
    {
        string model = checkpoints.Make("--arch llama --dtype bf16 --kv-heads 2 --positions 64 --std 0.05");
        var settings = new Dictionary<string, object>
        {
            ["learning.base"] = model,
            ["learning.context"] = 32,
            ["learning.lora_targets"] = new[] { "q_proj", "v_proj", "down_proj" },
            ["learning.lr"] = 1e-2,
        };
        // Both run long enough to overlap on a loaded machine; the test waits until each has merged a peer's delta.
        const long Rounds = 14;
        using Daemon n0 = lab.Node("hf", 0, Rounds, settings);
        n0.Start();
        using Daemon n1 = lab.Node("hf", 1, Rounds, new Dictionary<string, object>(settings) { ["network.seeds"] = new[] { n0.Seed } });
        n1.Start();
        Daemon[] nodes = [n0, n1];
        JsonElement[] statuses = await Task.WhenAll(nodes.Select(d => d.WaitForAsync(
            s => s.GetProperty("deltas_merged").GetInt64() >= 1, DaemonLab.Patience * 2, "a merged delta")));
        foreach (Daemon d in nodes)
        {
            Assert.True(await d.WaitForExitAsync(DaemonLab.Patience * 2), $"{d.Name} did not stop:\n{d.Output}");
            Assert.True(d.ExitCode == 0, $"{d.Name} exited with {d.ExitCode}:\n{d.Output}");
        }

        for (int i = 0; i < nodes.Length; i++)
        {
            Assert.True(statuses[i].GetProperty("deltas_received").GetInt64() >= 1, $"{nodes[i].Name} received nothing: {statuses[i]}\n{nodes[i].Output}");
        }

        using (HfBase hf = HfBase.Load(model))
        {
            Assert.Equal(hf.HashHex + "\n", File.ReadAllText(n0.Paths.BaseRef)); // the node's base identity is the checkpoint's
        }

        (int exit, string text, string error) = CliRunner.Run("eval", "--config", n0.ConfigPath, "--data", n0.Options.Data.Folder, "--json");
        Assert.True(exit == 0, error);
        output.WriteLine(text);
        using JsonDocument eval = JsonDocument.Parse(text);
        JsonElement[] rows = eval.RootElement.GetProperty("results").EnumerateArray().ToArray();
        Assert.Equal("base", rows[0].GetProperty("name").GetString());
        Assert.StartsWith("node ", rows[1].GetProperty("name").GetString(), StringComparison.Ordinal);
        double baseBits = rows[0].GetProperty("bits_per_byte").GetDouble(), nodeBits = rows[1].GetProperty("bits_per_byte").GetDouble();
        Assert.True(nodeBits < baseBits, $"the node's adapter ({nodeBits}) does not beat the base ({baseBits}) on its own data");

        (exit, text, error) = CliRunner.Run("generate", "--config", n0.ConfigPath, "--prompt", "The sea", "--max-tokens", "8", "--seed", "3");
        Assert.True(exit == 0, error);
        Assert.StartsWith("The sea", text, StringComparison.Ordinal);

        string peft = Path.Combine(lab.Root, "hf", "peft");
        (exit, text, error) = CliRunner.Run("export", "--config", n0.ConfigPath, "--format", "peft", "--out", peft);
        Assert.True(exit == 0, error);
        Assert.True(File.Exists(Path.Combine(peft, PeftAdapter.ConfigFile)) && File.Exists(Path.Combine(peft, PeftAdapter.TensorsFile)), text);

        AdapterCheckpoint current = AdapterCheckpoint.Load(NodeFactory.ExportDirectory(n0.Paths));
        using LearningBase reloaded = LearningBase.FromHf(HfBase.Load(model), 32);
        using TorchLearner learner = reloaded.CreateLearner(reloaded.AdapterLora(peft, LoraOptions.Default), TrainerOptions.Default with { Threads = 1 }, []);
        reloaded.LoadAdapter(peft, learner);
        Assert.Equal(current.Adapter, learner.GetAdapter());

        (exit, text, error) = CliRunner.Run("eval", "--config", n0.ConfigPath, "--data", n0.Options.Data.Folder, "--adapter", peft, "--json");
        Assert.True(exit == 0, error);
        using JsonDocument again = JsonDocument.Parse(text);
        Assert.Equal(nodeBits, again.RootElement.GetProperty("results")[1].GetProperty("bits_per_byte").GetDouble(), 4);
    }
}
