using System.Text.Json;
using FedMesh.Node.Audit;
using FedMesh.Node.Privacy;
using Xunit.Abstractions;

namespace FedMesh.Node.Tests.Integration;

/// <summary>Real daemons under faults: SIGKILL mid-run, a closed mesh with an outsider, a malicious member.</summary>
[Collection(DaemonCollection.Name)]
public sealed class DaemonFaultTests(DaemonLab lab, ITestOutputHelper output) : IClassFixture<DaemonLab>
{
    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task A_daemon_killed_with_SIGKILL_restarts_from_its_state_with_nothing_lost()
    {
        var dp = new Dictionary<string, object>
        {
            // DP on (record level, the default), so every round goes through the ledger; the budget is large so
            // rounds never stop here.
            ["privacy.level"] = "record",
            ["privacy.noise_multiplier"] = 1.0,
            ["privacy.epsilon_budget"] = 1e6,
        };
        using Daemon a = lab.Node("crash", 0, maxRounds: 0, dp);
        a.Start();
        using Daemon b = lab.Node("crash", 1, maxRounds: 0, new Dictionary<string, object>(dp) { ["network.seeds"] = new[] { a.Seed } });
        b.Start();
        await a.WaitForAsync(s => s.GetProperty("round").GetInt64() >= 3, DaemonLab.Patience, "three rounds");
        await b.WaitForAsync(s => s.GetProperty("deltas_received").GetInt64() >= 2, DaemonLab.Patience, "deltas from a");
        JsonElement beforeKill = (await a.StatusAsync())!.Value;
        a.Kill();
        long killedAt = beforeKill.GetProperty("round").GetInt64();

        AuditVerifyResult afterKill = AuditVerifier.VerifyFile(a.Paths.AuditLog);
        Assert.True(afterKill.Intact || afterKill.Break!.IsTornTail, $"audit chain broken after SIGKILL: {afterKill.Break}");

        a.Start();
        JsonElement resumed = await a.WaitForAsync(_ => true, DaemonLab.Patience, "restart");
        long resumedAt = resumed.GetProperty("round").GetInt64();
        // The checkpoint is written after each round: at worst the round in progress at the kill is redone.
        Assert.True(resumedAt >= killedAt - 1 && resumedAt > 0, $"restarted at round {resumedAt}, killed at {killedAt}");
        await a.WaitForAsync(s => s.GetProperty("round").GetInt64() >= resumedAt + 3, DaemonLab.Patience, "rounds after the restart");
        long receivedBeforeEnd = (await b.StatusAsync())!.Value.GetProperty("deltas_received").GetInt64();
        await b.WaitForAsync(s => s.GetProperty("deltas_received").GetInt64() > receivedBeforeEnd, DaemonLab.Patience, "more deltas from a");
        a.Kill();
        b.Kill();

        // What b received from a, per its audit log, in arrival order.
        List<(string ContentId, long Sequence)> fromA = AuditLines(b.Paths.AuditLog)
            .Where(l => l.GetProperty("kind").GetString() == "received" && l.GetProperty("origin").GetString() == a.PeerId)
            .Select(l => (l.GetProperty("content_id").GetString()!, l.GetProperty("seq").GetInt64()))
            .ToList();
        var ledger = PrivacyLedger.OpenReadOnly(a.Paths.PrivacyLedger, PrivacyOptions.Default);
        var charged = ledger.Entries.Select(e => e.ContentId).ToHashSet(StringComparer.Ordinal);
        ledger.Dispose();
        output.WriteLine($"killed at round {killedAt}, resumed at {resumedAt}; b received {fromA.Count} deltas from a; a's ledger holds {charged.Count} releases");

        Assert.True(fromA.Count >= 3, $"b received only {fromA.Count} deltas from a");
        // The ledger never under-counts: every release a peer holds was charged before it left. At record level (the
        // default, run here) a round is charged before it trains, under the sequence its release then carries.
        Assert.All(fromA, d => Assert.Contains(FedMesh.Node.Mesh.RoundCoordinator.ChargeId((ulong)d.Sequence), charged));
        Assert.True(charged.Count >= fromA.Select(d => d.ContentId).Distinct().Count());
        // Sequences keep increasing across the restart, so b accepted a's new deltas.
        Assert.True(fromA.Zip(fromA.Skip(1)).All(p => p.Second.Sequence > p.First.Sequence), "a's sequences went backwards across the restart");
        AuditVerifyResult final = AuditVerifier.VerifyFile(a.Paths.AuditLog);
        Assert.True(final.Intact || final.Break!.IsTornTail, $"audit chain broken after restart: {final.Break}");
        Assert.True(final.Entries > afterKill.Entries, "nothing was audited after the restart");

        // A kill loop at different points of a round (training, a ledger or audit append, between a record and its
        // anchor): the anchors may lag, but no crash may ever read as truncation, and the node keeps releasing.
        for (int kill = 1; kill <= 3; kill++)
        {
            a.Start();
            long at = (await a.WaitForAsync(_ => true, DaemonLab.Patience, "restart")).GetProperty("round").GetInt64();
            await a.WaitForAsync(s => s.GetProperty("round").GetInt64() > at, DaemonLab.Patience, "a round after the restart");
            await Task.Delay(TimeSpan.FromMilliseconds(150 * kill));
            a.Kill();
            using (PrivacyLedger afterLoopKill = PrivacyLedger.OpenReadOnly(a.Paths.PrivacyLedger, PrivacyOptions.Default))
            {
                Assert.NotEqual(PrivacyBudgetState.Truncated, afterLoopKill.GetStatus().State);
            }

            AuditVerifyResult audit = AuditVerifier.VerifyFile(a.Paths.AuditLog);
            Assert.True(audit.Intact || audit.Break!.IsTornTail, $"kill {kill}: audit log reads as {audit.Break}");
            Assert.NotNull(FedMesh.Node.Storage.SequenceFile.Read(a.Paths.Sequence, out string? sequenceProblem));
            Assert.Null(sequenceProblem);
        }

        a.Start();
        JsonElement last = await a.WaitForAsync(s => s.GetProperty("round").GetInt64() > 0, DaemonLab.Patience, "restart after the kill loop");
        Assert.NotEqual("truncated", last.GetProperty("privacy").GetProperty("state").GetString());
        a.Kill();
        string[] loose = Directory.GetFiles(a.StateDir, "*", SearchOption.AllDirectories)
            .Where(f => (File.GetUnixFileMode(f) & (UnixFileMode)0b000_111_111) != 0)
            .ToArray();
        Assert.True(loose.Length == 0, $"state files readable by others: {string.Join(", ", loose)}");
    }

    [Fact]
    public async Task A_daemon_whose_audit_log_lost_its_last_line_refuses_to_start_and_says_what_to_do()
    {
        using Daemon a = lab.Node("cut", 0, maxRounds: 1);
        using (AuditLog log = AuditLog.Open(a.Paths.AuditLog, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<AuditLog>.Instance))
        {
            log.Append(new AuditRecord(AuditEventKind.Sent, a.PeerId, new string('a', 64), 1, 1, 1, 1, "sent"));
            log.Append(new AuditRecord(AuditEventKind.Sent, a.PeerId, new string('b', 64), 2, 1, 1, 1, "sent"));
        }

        File.WriteAllLines(a.Paths.AuditLog, File.ReadAllLines(a.Paths.AuditLog)[..^1]);
        a.Start();

        Assert.True(await a.WaitForExitAsync(DaemonLab.Patience), $"the daemon kept running on a truncated audit log:\n{a.Output}");
        Assert.Equal(1, a.ExitCode);
        Assert.Contains("is truncated: the log holds 1 record(s) but its anchor recorded 2", a.Output, StringComparison.Ordinal);
        Assert.Contains($"move {a.Paths.AuditLog} and {a.Paths.AuditLogAnchor} aside", a.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_closed_mesh_refuses_a_node_not_on_its_allowlist_and_admits_the_listed_ones()
    {
        const long rounds = 4;
        // a binds its port (0) before the others can be seeded with it, so it starts first and runs until the end
        // of the test instead of stopping after its rounds while b is still loading.
        using Daemon a = lab.Node("closed", 0, maxRounds: 0);
        using Daemon b = lab.Node("closed", 1, rounds);
        using Daemon outsider = lab.Node("closed", 2, rounds);
        a.Configure(Closed([b.PeerId], []));
        a.Start();
        b.Configure(Closed([a.PeerId], [a.Seed]));
        b.Start();
        outsider.Configure(new Dictionary<string, object> { ["network.seeds"] = new[] { a.Seed, b.Seed } });
        outsider.Start();
        JsonElement late = await b.WaitForAsync(s => s.GetProperty("round").GetInt64() >= rounds - 1, DaemonLab.Patience, "its rounds");
        JsonElement[] members =
        [
            await a.WaitForAsync(s => PeerIds(s).Contains(b.PeerId) && s.GetProperty("deltas_received").GetInt64() >= 1, DaemonLab.Patience, "b's deltas"),
            late,
        ];
        JsonElement outside = (await outsider.StatusAsync())!.Value;

        Assert.Equal([b.PeerId], PeerIds(members[0]));
        Assert.Equal([a.PeerId], PeerIds(members[1]));
        Assert.True(members[0].GetProperty("deltas_received").GetInt64() >= 1, $"a received nothing from b: {members[0]}");
        Assert.True(PeerIds(outside).Length == 0, $"the outsider holds sessions: {outside}\n{outsider.Output}");
        Assert.Equal(0, outside.GetProperty("deltas_received").GetInt64());
        // The members log why (ProtocolErrorCode.NotAllowed's message names the allowlist).
        Assert.Contains($"{outsider.PeerId} is not in this closed mesh's allowlist", a.Output + b.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Honest_daemons_trust_a_sign_flipping_member_less_than_each_other()
    {
        const long rounds = 6;
        // Ports are bound at start (port 0), so seeds are configured once the seeded nodes run. The honest nodes run
        // until the test ends; the attacker, started last and seeded with all three, does `rounds` rounds.
        using Daemon h0 = lab.Node("attack", 0, maxRounds: 0);
        h0.Start();
        using Daemon h1 = lab.Node("attack", 1, maxRounds: 0, new Dictionary<string, object> { ["network.seeds"] = new[] { h0.Seed } });
        using Daemon h2 = lab.Node("attack", 2, maxRounds: 0, new Dictionary<string, object> { ["network.seeds"] = new[] { h0.Seed } });
        h1.Start();
        h2.Start();
        using Daemon x = lab.Node("attack", 3, rounds, new Dictionary<string, object> { ["network.seeds"] = new[] { h0.Seed, h1.Seed, h2.Seed } }, attack: "sign_flip");
        x.Start();
        Daemon[] honest = [h0, h1, h2];

        // The attacker's late rounds, then each honest node while connected to it (a status taken during a
        // reconnect would not list it).
        await x.WaitForAsync(s => s.GetProperty("round").GetInt64() >= rounds - 2, DaemonLab.Patience, "the attacker's late rounds");
        JsonElement[] statuses = await Task.WhenAll(honest.Select(d => d.WaitForAsync(
            s => s.GetProperty("round").GetInt64() >= rounds - 2 && PeerIds(s).Contains(x.PeerId), DaemonLab.Patience, "late rounds connected to the attacker")));
        for (int i = 0; i < honest.Length; i++)
        {
            Dictionary<string, double> trust = statuses[i].GetProperty("peers").EnumerateArray()
                .ToDictionary(p => p.GetProperty("peer_id").GetString()!, p => p.GetProperty("trust").GetDouble());
            output.WriteLine($"{honest[i].Name}: {string.Join(", ", trust.Select(t => $"{(t.Key == x.PeerId ? "ATTACKER" : t.Key[..6])} {t.Value:F3}"))}");
            Assert.True(trust.ContainsKey(x.PeerId), $"{honest[i].Name} is not connected to the attacker: {statuses[i]}\n{x.Output}");
            double attacker = trust[x.PeerId];
            double lowestHonest = trust.Where(t => t.Key != x.PeerId).Select(t => t.Value).DefaultIfEmpty(double.NaN).Min();
            Assert.True(attacker < lowestHonest, $"{honest[i].Name} trusts the attacker {attacker:F3}, honest peers at least {lowestHonest:F3}");
        }
    }

    private static Dictionary<string, object> Closed(string[] allow, string[] seeds) => new()
    {
        ["network.closed"] = true,
        ["network.allowlist"] = allow,
        ["network.seeds"] = seeds,
    };

    private static string[] PeerIds(JsonElement status) =>
        status.GetProperty("peers").EnumerateArray().Select(p => p.GetProperty("peer_id").GetString()!).ToArray();

    private static IEnumerable<JsonElement> AuditLines(string path) =>
        File.ReadAllLines(path).Where(l => l.Length > 0).Select(l => JsonDocument.Parse(l).RootElement.Clone());
}
