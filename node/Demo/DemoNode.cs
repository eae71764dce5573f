using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using FedMesh.Node.Data.Corpora;

namespace FedMesh.Node.Demo;

/// <summary>One demo node: its files, its process and the last status read from its admin endpoint.</summary>
internal sealed class DemoNode(int index, SotuShard shard, string config, string stateDir, string logPath)
{
    /// <summary>The admin URL the node bound (it binds port 0), read from its endpoints file once it is up.</summary>
    private string? _admin;

    public int Index { get; } = index;

    public SotuShard Shard { get; } = shard;

    public string Config { get; } = config;

    public string StateDir { get; } = stateDir;

    public string LogPath { get; } = logPath;

    public Process? Process { get; set; }

    public int LastRound { get; private set; }

    public int PlottedRound { get; set; }

    public double? LastBpc { get; private set; }

    public double? TrainLoss { get; private set; }

    public double LastEpsilon { get; private set; }

    public double LastDelta { get; private set; }

    public double NoiseMultiplier { get; private set; }

    public double SamplingRate { get; private set; }

    public int Peers { get; private set; }

    /// <summary>Most sessions seen at once in the node's status.</summary>
    public int MaxPeers { get; private set; }

    /// <summary>Peak resident set of the node process (Linux VmHWM via <see cref="System.Diagnostics.Process.PeakWorkingSet64"/>),
    /// sampled at every refresh while the process runs.</summary>
    public long PeakRssBytes { get; private set; }

    public long DeltasIn { get; private set; }

    public long DeltasOut { get; private set; }

    /// <summary>Wire bytes the node received and sent over all its connections (status <c>bytes_in</c>/<c>bytes_out</c>,
    /// frames and handshakes included), as of the last refresh.</summary>
    public long BytesIn { get; private set; }

    public long BytesOut { get; private set; }

    public string State { get; private set; } = "starting";

    /// <summary>The node's endpoints as written by this process run, or null while it has not bound them yet.</summary>
    private Hosting.NodeEndpoints? Endpoints() =>
        Process is { } p && Hosting.NodeEndpoints.TryRead(new Storage.StatePaths(StateDir).Endpoints) is { } e && e.Pid == p.Id ? e : null;

    /// <summary>Waits until the node has bound its ports; returns its gossip address (host:port).</summary>
    public async Task<string> WaitForEndpointsAsync(TimeSpan timeout, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        while (Endpoints() is not { } e)
        {
            if (Process is { HasExited: true } || clock.Elapsed > timeout)
            {
                throw new InvalidOperationException($"node {Index + 1} did not start (see {LogPath})");
            }

            await Task.Delay(200, cancel).ConfigureAwait(false);
        }

        return Endpoints()!.Listen;
    }

    public async Task RefreshAsync(HttpClient http, CancellationToken cancel)
    {
        SampleRss();
        try
        {
            _admin ??= Endpoints()?.Admin;
            if (_admin is null)
            {
                State = Process is { HasExited: true } ? "done" : "starting";
                return;
            }

            JsonElement s = await http.GetFromJsonAsync<JsonElement>(_admin + "/status", cancel).ConfigureAwait(false);
            LastRound = (int)s.GetProperty("round").GetInt64();
            LastBpc = Number(s, "last_held_out_bpc");
            TrainLoss = Number(s, "last_train_loss");
            JsonElement privacy = s.GetProperty("privacy");
            LastEpsilon = privacy.GetProperty("epsilon_spent").GetDouble();
            LastDelta = privacy.GetProperty("delta").GetDouble();
            NoiseMultiplier = privacy.GetProperty("noise_multiplier").GetDouble();
            SamplingRate = privacy.GetProperty("sampling_rate").GetDouble();
            Peers = s.GetProperty("peers").GetArrayLength();
            MaxPeers = Math.Max(MaxPeers, Peers);
            DeltasIn = s.GetProperty("deltas_received").GetInt64();
            DeltasOut = s.GetProperty("deltas_sent").GetInt64();
            BytesIn = s.GetProperty("bytes_in").GetInt64();
            BytesOut = s.GetProperty("bytes_out").GetInt64();
            State = "running";
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException or InvalidOperationException or KeyNotFoundException)
        {
            State = Process is { HasExited: true } ? "done" : "starting";
        }
    }

    private void SampleRss()
    {
        try
        {
            if (Process is { HasExited: false } p)
            {
                p.Refresh();
                PeakRssBytes = Math.Max(PeakRssBytes, p.PeakWorkingSet64);
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // The process exited between the check and the read: its last sample stands.
        }
    }

    public string[] Cells() =>
    [
        $"{Index + 1}",
        $"{Shard.FirstYear}–{Shard.LastYear}",
        $"{LastRound}",
        $"{Peers}",
        Format(TrainLoss),
        Format(LastBpc),
        LastEpsilon.ToString("G3", CultureInfo.InvariantCulture),
        $"{DeltasIn}/{DeltasOut}",
    ];

    public string Line() => string.Create(CultureInfo.InvariantCulture,
        $"node {Index + 1} ({Shard.FirstYear}–{Shard.LastYear}) round {LastRound}: peers {Peers}, train loss {Format(TrainLoss)}, held-out bpc {Format(LastBpc)}, ε {LastEpsilon:G3}, deltas in/out {DeltasIn}/{DeltasOut}");

    private static string Format(double? x) => x is { } v ? v.ToString("F4", CultureInfo.InvariantCulture) : "-";

    private static double? Number(JsonElement s, string name) =>
        s.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;
}
