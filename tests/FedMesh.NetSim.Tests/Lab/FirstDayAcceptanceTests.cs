using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using FedMesh.NetSim.Lab;
using FedMesh.Node.Data.Corpora;
using FedMesh.Node.Learning;
using Xunit.Abstractions;

namespace FedMesh.NetSim.Tests.Lab;

/// <summary>
/// Issue 11's acceptance test: a lab's first day on the real path. Three "sites", each in its own network namespace
/// with an IPv4 address (as labs at different places would be), each configured only by <c>fedmesh init</c> flags
/// (no file edits) with its own data folder and default settings otherwise (privacy included), seeded by IPv4
/// address. They must connect, exchange, merge, and every site's held-out bits per byte must end better than its base;
/// then <c>fedmesh privacy</c>, <c>status</c> and <c>audit verify</c> must agree with the daemons' own files.
/// </summary>
public sealed class FirstDayAcceptanceTests(ITestOutputHelper output)
{
    private const int Sites = 3;

    /// <summary>The default gossip port; every site has its own address, so all use it (as real labs would).</summary>
    private const int Port = 7461;

    /// <summary>Default period is 30 s: a merge needs a round on a peer and one here, plus model load and handshakes.</summary>
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(8);

    [LabFact]
    public async Task Three_sites_set_up_with_init_flags_alone_learn_together_with_default_privacy_and_their_tools_agree()
    {
        string root = TestLab.CreateRoot();
        string name = TestLab.UniqueName();
        // The default base model (3000 pretraining steps) once, in the default cache every site on this machine shares.
        BaseModelCache.GetOrCreate(PretrainOptions.Default with { Model = ModelOptions.Default }, BaseModelCache.DefaultDirectory);
        SotuPartition partition = SotuPartition.Create(SotuCorpus.ReadShipped(), Sites, SotuSplitOptions.Default);
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < Sites; i++)
        {
            string site = Path.Combine(root, $"site{i}");
            string data = Path.Combine(site, "data");
            Directory.CreateDirectory(data);
            // The site's own records: its era's addresses cut into paragraphs of whole sentences, one per JSON line
            // (one record = one line, the privacy unit), as a lab's export of many short documents would be.
            File.WriteAllLines(
                Path.Combine(data, "addresses.jsonl"),
                TextRecords.Paragraphs(partition.Shards[i].Texts).Select(p => JsonSerializer.Serialize(new { text = p })));

            var args = new List<string>
            {
                "init", "--dir", site, "--name", $"site{i}", "--mesh", "firstday", "--data", data,
                "--listen-address", LabNames.NodeAddress(name, i).ToString(), "--port", Port.ToString(CultureInfo.InvariantCulture),
            };
            foreach (int j in Enumerable.Range(0, Sites).Where(j => j != i))
            {
                args.AddRange(["--seed", $"{LabNames.NodeAddress(name, j)}:{Port}"]);
            }

            (int code, string stdout, string stderr) = await FedmeshAsync(null, args);
            Assert.True(code == 0, $"init site{i} exited {code}: {stderr}");
            output.WriteLine($"site{i} init: {stdout.Trim()}");
        }

        string command = $"/usr/bin/env {BaseModelCache.DirectoryVariable}={BaseModelCache.DefaultDirectory} {Dotnet} exec {FedmeshDll} run --config {root}/site{{index}}/fedmesh.toml";
        var lab = new NamespaceLab(TestLab.Options(root) with { StartupGrace = TimeSpan.FromSeconds(2) });
        var firstMerge = new TimeSpan?[Sites];
        JsonElement[] last = new JsonElement[Sites];
        try
        {
            await lab.UpAsync(new LabUpRequest { Name = name, Nodes = Sites, Command = command, BasePort = Port });
            LabState state = lab.Store.Load(name);
            while (true)
            {
                for (int i = 0; i < Sites; i++)
                {
                    (int code, string json, _) = await FedmeshAsync(state.Nodes[i].Namespace, ["status", "--config", Config(root, i), "--json"]);
                    if (code == 0)
                    {
                        last[i] = JsonDocument.Parse(json).RootElement.Clone();
                        if (firstMerge[i] is null && last[i].GetProperty("deltas_merged").GetInt64() > 0)
                        {
                            firstMerge[i] = clock.Elapsed;
                        }
                    }
                }

                if (Enumerable.Range(0, Sites).All(i => firstMerge[i] is not null && Better(last[i])))
                {
                    break;
                }

                if (clock.Elapsed > Patience)
                {
                    string logs = string.Join("\n", state.Nodes.Select(n => $"--- site{n.Index}:\n" + string.Join("\n", File.ReadLines(n.LogPath).TakeLast(20))));
                    Assert.Fail($"timed out after {Patience}: merged {string.Join(",", firstMerge)}; status {string.Join(" | ", last.Select(s => s.ValueKind == JsonValueKind.Undefined ? "-" : s.GetRawText()))}\n{logs}");
                }

                await Task.Delay(TimeSpan.FromSeconds(3));
            }

            for (int i = 0; i < Sites; i++)
            {
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"site{i}: first merged delta {firstMerge[i]!.Value.TotalSeconds:F0} s after the first init; held-out bpc {last[i].GetProperty("last_held_out_bpc").GetDouble():F4} vs base {last[i].GetProperty("base_held_out_bpc").GetDouble():F4}; round {last[i].GetProperty("round").GetInt64()}; ε {last[i].GetProperty("privacy").GetProperty("epsilon_spent").GetDouble():F3}"));
            }
        }
        finally
        {
            await lab.DownAsync(name);
        }

        try
        {
            for (int i = 0; i < Sites; i++)
            {
                // The tools, run as an operator would after the daemons stopped, agree with the daemons' files.
                (int audit, string auditOut, string auditErr) = await FedmeshAsync(null, ["audit", "verify", "--config", Config(root, i)]);
                Assert.True(audit == 0, $"site{i} audit verify exited {audit}: {auditOut} {auditErr}");

                (int privacy, string privacyJson, string privacyErr) = await FedmeshAsync(null, ["privacy", "--config", Config(root, i), "--json"]);
                Assert.True(privacy == 0, $"site{i} privacy exited {privacy}: {privacyErr}");
                JsonElement report = JsonDocument.Parse(privacyJson).RootElement.GetProperty("status");
                double reported = report.GetProperty("spentEpsilon").GetDouble();
                double seen = last[i].GetProperty("privacy").GetProperty("epsilon_spent").GetDouble();
                // The ledger never holds less than the daemon last reported (it may hold one more round recorded later).
                Assert.True(reported >= seen - 1e-9, $"site{i}: privacy reports ε {reported}, status showed {seen}");
                Assert.True(reported > 0, $"site{i}: privacy is on by default, yet the ledger shows ε {reported}");
                Assert.True(reported <= report.GetProperty("budgetEpsilon").GetDouble(), $"site{i}: ε {reported} over budget");
            }
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static bool Better(JsonElement status) =>
        status.ValueKind == JsonValueKind.Object
        && status.GetProperty("last_held_out_bpc") is { ValueKind: JsonValueKind.Number } now
        && status.GetProperty("base_held_out_bpc") is { ValueKind: JsonValueKind.Number } start
        && now.GetDouble() < start.GetDouble();

    private static string Config(string root, int site) => Path.Combine(root, $"site{site}", "fedmesh.toml");

    private static string Dotnet => FedMesh.Node.Hosting.FedmeshExecutable.DotnetHost();

    private static string FedmeshDll => FedMesh.Node.Hosting.FedmeshExecutable.Command()[^1];

    /// <summary>Runs <c>fedmesh ARGS</c>, inside network namespace <paramref name="ns"/> when given (nsenter, so /sys stays as it is).</summary>
    private static async Task<(int Code, string Stdout, string Stderr)> FedmeshAsync(string? ns, IEnumerable<string> args)
    {
        var info = new ProcessStartInfo(ns is null ? Dotnet : "nsenter") { RedirectStandardOutput = true, RedirectStandardError = true };
        if (ns is not null)
        {
            info.ArgumentList.Add($"--net=/run/netns/{ns}");
            info.ArgumentList.Add(Dotnet);
        }

        info.ArgumentList.Add("exec");
        info.ArgumentList.Add(FedmeshDll);
        foreach (string a in args)
        {
            info.ArgumentList.Add(a);
        }

        using Process process = Process.Start(info)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }
}
