using System.Diagnostics;
using System.Net;
using System.Text.Json;
using FedMesh.Node.Configuration;
using FedMesh.Node.Hosting;
using FedMesh.Node.Storage;
using FedMesh.Protocol.Identity;

namespace FedMesh.Node.Tests.Integration;

/// <summary>
/// One real <c>fedmesh run</c> process on loopback with its own state directory, data folder and generated
/// configuration; reads its admin /status; SIGKILL or waits for it. Output is kept for failure messages.
/// Ports are never pre-picked (another process could take them first): the node binds port 0 for gossip and admin
/// and <see cref="Port"/>/<see cref="AdminPort"/> read back what it chose from its endpoints file; a restart
/// keeps the gossip port, as a node with a fixed port does.
/// </summary>
public sealed class Daemon : IDisposable
{
    /// <summary>How long a status request may take before the node counts as unresponsive (it is local).</summary>
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(5);

    private readonly HttpClient _http = new() { Timeout = RequestTimeout };
    private readonly List<string> _output = [];
    private readonly Dictionary<string, string> _environment;
    private readonly IReadOnlyList<string> _program;
    private readonly Dictionary<string, object> _overrides;
    private Process? _process;
    private (int Port, int AdminPort, int? MetricsPort)? _bound;

    /// <param name="program">The command that runs the daemon (default: fedmesh next to the tests; the test kit's
    /// attack host for an attacking node).</param>
    public Daemon(string root, string name, IReadOnlyDictionary<string, object> overrides, Dictionary<string, string> environment, IReadOnlyList<string>? program = null)
    {
        Name = name;
        StateDir = Path.Combine(root, name, "state");
        ConfigPath = Path.Combine(root, name, "fedmesh.toml");
        _environment = environment;
        _program = program ?? FedmeshExecutable.Command();
        Directory.CreateDirectory(Path.GetDirectoryName(ConfigPath)!);

        // The identity is made before the first start so tests can put peer ids into each other's configuration.
        using (StateDirectory state = StateDirectory.Open(StateDir))
        {
            using NodeIdentity identity = KeyFile.Create(state.Paths.IdentityKey);
            PeerId = identity.PeerId.Value;
        }

        var all = new Dictionary<string, object>(overrides)
        {
            ["node.name"] = name,
            ["node.state_dir"] = StateDir,
            ["network.listen_address"] = "127.0.0.1",
            ["network.listen_port"] = 0,
            ["network.mdns"] = false,
            ["admin.enabled"] = true,
            ["admin.listen"] = "127.0.0.1:0",
        };
        all.TryAdd("metrics.enabled", false);
        _overrides = all;
        Options = ConfigWriter.WriteDefault(ConfigPath, all);
    }

    /// <summary>Rewrites the configuration with <paramref name="extra"/> on top (identity, ports, data kept).</summary>
    public void Configure(IReadOnlyDictionary<string, object> extra)
    {
        foreach ((string key, object value) in extra)
        {
            _overrides[key] = value;
        }

        Options = ConfigWriter.WriteDefault(ConfigPath, _overrides);
    }

    public string Name { get; }

    /// <summary>Environment variables of the next <see cref="Start"/>, on top of the test process's.</summary>
    public IDictionary<string, string> Env => _environment;

    public string PeerId { get; }

    public string StateDir { get; }

    public string ConfigPath { get; }

    /// <summary>The gossip port the running node bound (waits for it to be bound).</summary>
    public int Port => Endpoints().Port;

    /// <summary>The admin port the running node bound (waits for it to be bound).</summary>
    public int AdminPort => Endpoints().AdminPort;

    /// <summary>The [metrics] endpoint's port, when it is served on its own (waits for it to be bound).</summary>
    public int MetricsPort => Endpoints().MetricsPort ?? throw new InvalidOperationException($"{Name} serves no separate metrics endpoint");

    public NodeOptions Options { get; private set; }

    public StatePaths Paths => new(StateDir);

    public string Seed => $"{PeerId}@127.0.0.1:{Port}";

    public bool HasExited => _process is { HasExited: true };

    /// <summary>The running process's id.</summary>
    public int Pid => _process?.Id ?? throw new InvalidOperationException($"{Name} is not started");

    public int ExitCode => _process!.ExitCode;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return string.Join('\n', _output.TakeLast(200));
            }
        }
    }

    public void Start()
    {
        if (_bound is { } previous)
        {
            // A restart keeps its gossip port so that peers seeded with it find it again.
            _overrides["network.listen_port"] = previous.Port;
            Options = ConfigWriter.WriteDefault(ConfigPath, _overrides);
        }

        _bound = null;
        File.Delete(Paths.Endpoints);
        var start = new ProcessStartInfo(_program[0], [.. _program.Skip(1), "run", "--config", ConfigPath])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach ((string key, string value) in _environment)
        {
            start.Environment[key] = value;
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException("could not start fedmesh");
        _process.OutputDataReceived += (_, e) => Keep(e.Data);
        _process.ErrorDataReceived += (_, e) => Keep(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>SIGKILL: no shutdown code runs (Process.Kill sends SIGKILL on Linux).</summary>
    public void Kill()
    {
        _process?.Kill(entireProcessTree: true);
        _process?.WaitForExit();
    }

    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await _process!.WaitForExitAsync(cancel.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>The node's /status as JSON, or null while it is not serving (starting, pretraining, stopped).</summary>
    public async Task<JsonElement?> StatusAsync()
    {
        if (TryEndpoints() is not { } bound)
        {
            return null;
        }

        try
        {
            string text = await _http.GetStringAsync(new Uri($"http://127.0.0.1:{bound.AdminPort}/status"));
            return JsonDocument.Parse(text).RootElement.Clone();
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException)
        {
            return null;
        }
    }

    public async Task<string> GetAsync(int port, string path) =>
        await _http.GetStringAsync(new Uri($"http://127.0.0.1:{port}{path}"));

    /// <summary>Polls /status until <paramref name="done"/> holds; fails with the node's output on timeout or exit.</summary>
    public async Task<JsonElement> WaitForAsync(Func<JsonElement, bool> done, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (await StatusAsync() is { } status && done(status))
            {
                return status;
            }

            if (HasExited)
            {
                Assert.Fail($"{Name} exited ({ExitCode}) before {what}:\n{Output}");
            }

            await Task.Delay(250);
        }

        Assert.Fail($"{Name}: timed out after {timeout} waiting for {what}:\n{Output}");
        throw new UnreachableException();
    }

    /// <summary>
    /// The ports of the running node, from the endpoints file it writes once everything is bound; waits for it
    /// (loading the model takes a while) and fails with the node's output if it exits first.
    /// </summary>
    private (int Port, int AdminPort, int? MetricsPort) Endpoints()
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (TryEndpoints() is { } bound)
            {
                return bound;
            }

            if (_process is null)
            {
                throw new InvalidOperationException($"{Name} is not started: its ports are chosen when it binds them");
            }

            if (HasExited)
            {
                Assert.Fail($"{Name} exited ({ExitCode}) before binding its ports:\n{Output}");
            }

            if (clock.Elapsed > DaemonLab.Patience)
            {
                Assert.Fail($"{Name}: no {NodeEndpoints.FileName} after {DaemonLab.Patience}:\n{Output}");
            }

            Thread.Sleep(100);
        }
    }

    private (int Port, int AdminPort, int? MetricsPort)? TryEndpoints()
    {
        if (_bound is { } known)
        {
            return known;
        }

        if (_process is null || NodeEndpoints.TryRead(Paths.Endpoints) is not { } e || e.Pid != _process.Id || e.Admin is null)
        {
            return null;
        }

        int? metrics = e.Metrics is { } m && m != e.Admin ? new Uri(m).Port : null;
        _bound = (IPEndPoint.Parse(e.Listen).Port, new Uri(e.Admin).Port, metrics);
        return _bound;
    }

    public void Dispose()
    {
        if (_process is { HasExited: false })
        {
            Kill();
        }

        _process?.Dispose();
        _http.Dispose();
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.Add(line);
        }
    }
}
