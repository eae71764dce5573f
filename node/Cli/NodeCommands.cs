using System.CommandLine;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using FedMesh.Node.Configuration;
using FedMesh.Node.Membership;
using FedMesh.Node.Storage;
using FedMesh.Protocol.Identity;
using FedMesh.Protocol.IO;

namespace FedMesh.Node.Cli;

/// <summary><c>fedmesh init</c>, <c>status</c>, <c>peers</c>, <c>export</c>, <c>trust</c>. Exit codes: 0 ok, 1 the
/// operation failed (node unreachable, nothing to export), 2 bad usage or configuration.</summary>
public static class NodeCommands
{
    /// <summary>How long <c>status</c>, <c>peers</c> and the other admin reads wait for the node's answer: 30 s. It was 5 s,
    /// and on a 2-core machine under load (a daemon training beside other work, load average 25) /status took ~3 s and
    /// the 5 s limit tripped three times in a row (session 22's walk-through); an admin read is one small JSON document,
    /// so a longer wait costs nothing when the node is quick and a dead address still fails at once (refused).</summary>
    private static readonly TimeSpan AdminTimeout = TimeSpan.FromSeconds(30);

    public static Command Init()
    {
        var dir = new Option<string>("--dir") { Description = "Folder for fedmesh.toml (and, by default, the state and data folders).", DefaultValueFactory = _ => "." };
        var name = new Option<string>("--name") { Description = "Node name.", DefaultValueFactory = _ => Environment.MachineName.ToLowerInvariant() };
        var listenAddress = new Option<string>("--listen-address") { Description = "IP address to listen on (\"::\" = all).", DefaultValueFactory = _ => NetworkSection.Default.ListenAddress };
        var port = new Option<int>("--port") { Description = "TCP port to listen on.", DefaultValueFactory = _ => NetworkSection.Default.ListenPort };
        var admin = new Option<string>("--admin-listen") { Description = "host:port of the local admin API (status, peers).", DefaultValueFactory = _ => EndpointSection.DefaultAdmin.Listen };
        var metrics = new Option<string>("--metrics-listen") { Description = $"host:port of the Prometheus metrics endpoint (default {EndpointSection.DefaultMetrics.Listen}).", DefaultValueFactory = _ => EndpointSection.DefaultMetrics.Listen };
        var stateDir = new Option<string?>("--state-dir") { Description = "State directory (identity key, ledgers, checkpoints; default DIR/state)." };
        var data = new Option<string?>("--data") { Description = "Folder with this node's private training data (default DIR/data)." };
        var mesh = new Option<string>("--mesh") { Description = "Mesh name.", DefaultValueFactory = _ => NetworkSection.Default.MeshId };
        var seeds = new Option<string[]>("--seed") { Description = "Bootstrap peer host:port or peerid@host:port (repeatable).", AllowMultipleArgumentsPerToken = true };
        var closed = new Option<bool>("--closed") { Description = "Closed mesh: admit only the peers given with --allow (or added later with `fedmesh trust add`)." };
        var allow = new Option<string[]>("--allow") { Description = "Peer id admitted to a closed mesh (repeatable).", AllowMultipleArgumentsPerToken = true };
        var force = new Option<bool>("--force") { Description = "Overwrite an existing fedmesh.toml." };
        var system = new Option<bool>("--system") { Description = $"Set up the service layout systemd/fedmesh.service expects: {SystemLayout.Config}, state in {SystemLayout.State}, data in {SystemLayout.Data} (instead of --dir)." };
        var systemRoot = new Option<string?>("--root") { Description = "With --system: create the files under this folder instead of / (an image or package being built, tests); the configuration still names the real paths." };
        var command = new Command("init", "Write a commented configuration and an identity key; print the peer id and the next commands.")
        {
            dir, name, listenAddress, port, admin, metrics, stateDir, data, mesh, seeds, closed, allow, force, system, systemRoot,
        };
        command.SetAction(parse =>
        {
            TextWriter output = parse.InvocationConfiguration.Output;
            TextWriter error = parse.InvocationConfiguration.Error;
            bool isSystem = parse.GetValue(system);
            if (!isSystem && parse.GetValue(systemRoot) is not null)
            {
                error.WriteLine("fedmesh init: --root applies to --system only");
                return 2;
            }

            if (isSystem && parse.GetResult(dir) is { Implicit: false })
            {
                error.WriteLine($"fedmesh init: --system writes {SystemLayout.Config}; --dir cannot move it (use --root to build an image or package)");
                return 2;
            }

            // Under --system the files go to --root + the real path; everything written into fedmesh.toml is the real path.
            var layout = new SystemLayout(isSystem && parse.GetValue(systemRoot) is { } r ? Path.GetFullPath(r) : null);
            string root = isSystem ? Path.GetDirectoryName(SystemLayout.Config)! : Path.GetFullPath(parse.GetValue(dir)!);
            string configPath = isSystem ? SystemLayout.Config : Path.Combine(root, "fedmesh.toml");
            if (File.Exists(layout.OnDisk(configPath)) && !parse.GetValue(force))
            {
                error.WriteLine($"fedmesh init: {layout.OnDisk(configPath)} exists (use --force to overwrite)");
                return 2;
            }

            var overrides = new Dictionary<string, object>
            {
                ["node.name"] = parse.GetValue(name)!,
                ["node.state_dir"] = Path.GetFullPath(parse.GetValue(stateDir) ?? (isSystem ? SystemLayout.State : Path.Combine(root, "state"))),
                ["network.listen_address"] = parse.GetValue(listenAddress)!,
                ["network.listen_port"] = (long)parse.GetValue(port),
                ["network.mesh_id"] = parse.GetValue(mesh)!,
                ["network.seeds"] = (parse.GetValue(seeds) ?? []).ToList(),
                ["network.closed"] = parse.GetValue(closed),
                ["network.allowlist"] = (parse.GetValue(allow) ?? []).ToList(),
                ["admin.listen"] = parse.GetValue(admin)!,
                ["metrics.listen"] = parse.GetValue(metrics)!,
                ["data.folder"] = Path.GetFullPath(parse.GetValue(data) ?? (isSystem ? SystemLayout.Data : Path.Combine(root, "data"))),
            };

            try
            {
                Directory.CreateDirectory(layout.OnDisk(root));
                (IReadOnlyDictionary<string, object> privacy, string privacySummary) = InitPrivacy.For(layout.OnDisk((string)overrides["data.folder"]), NodeOptions.Default);
                foreach ((string key, object value) in privacy)
                {
                    overrides[key] = value;
                }

                NodeOptions options = ConfigWriter.WriteDefault(layout.OnDisk(configPath), overrides);
                // The state directory first: it is created 0700, and the default data folder is inside it.
                using StateDirectory state = StateDirectory.Open(layout.OnDisk(options.Node.StateDir));
                Directory.CreateDirectory(layout.OnDisk(options.Data.Folder));
                using NodeIdentity identity = File.Exists(state.Paths.IdentityKey) ? KeyFile.Load(state.Paths.IdentityKey) : KeyFile.Create(state.Paths.IdentityKey);
                output.WriteLine($"wrote {layout.OnDisk(configPath)}");
                output.WriteLine($"peer id {identity.PeerId}");
                output.WriteLine(privacySummary);
                WriteNextSteps(output, configPath, options, identity.PeerId, isSystem);
                return 0;
            }
            catch (Exception ex) when (ex is ConfigException or IOException or UnauthorizedAccessException or StateDirectoryException or KeyFileException)
            {
                // ConfigException lines name the key an init flag set (e.g. network.listen_address from --listen-address).
                error.WriteLine($"fedmesh init: {ex.Message.Replace(configPath + ": ", string.Empty, StringComparison.Ordinal)}");
                return 2;
            }
        });
        return command;
    }

    /// <summary>What to do after <c>init</c>: fill the data folder, check it, run, and what to tell the other labs.</summary>
    private static void WriteNextSteps(TextWriter output, string configPath, NodeOptions options, PeerId self, bool system)
    {
        string config = Quote(configPath);
        output.WriteLine();
        output.WriteLine("next:");
        output.WriteLine($"  1. put this node's training files (.txt, .jsonl, .jsonl.gz) into {options.Data.Folder}");
        output.WriteLine($"  2. fedmesh data check --config {config}     # what will be trained on, after redaction");
        if (system)
        {
            // systemd's StateDirectory= hands the state directory (and the data inside it) to the fedmesh user.
            output.WriteLine("  3. systemctl enable --now fedmesh && journalctl -u fedmesh -f   # the first start pretrains or loads the base model");
        }
        else
        {
            output.WriteLine($"  3. fedmesh run --config {config}");
        }

        output.WriteLine($"  4. fedmesh status --config {config}         # from another terminal");
        string host = options.Network.ListenAddress is "::" or "0.0.0.0" ? "THIS_HOST" : options.Network.ListenAddress;
        // Port 0 is chosen when the node binds it: the port is then in the start log and <state_dir>/endpoints.json.
        string port = options.Network.ListenPort == 0 ? "PORT (chosen at start: see `fedmesh status`)" : options.Network.ListenPort.ToString(CultureInfo.InvariantCulture);
        output.WriteLine($"other labs seed with: --seed {self}@{host}:{port}");
        if (options.Network.Closed)
        {
            output.WriteLine($"closed mesh: other labs admit this node with `fedmesh trust add {self}`; admit theirs with `fedmesh trust add --config {config} PEER_ID`");
        }
    }

    /// <summary>
    /// The service layout (<c>init --system</c>): configuration in /etc (read-only under ProtectSystem=strict, as
    /// configuration should be), state in /var/lib/fedmesh (systemd's StateDirectory=fedmesh), and the private training
    /// data inside the state directory, whose mode 0700 keeps it from every other local user. <see cref="OnDisk"/>
    /// maps a real path under the --root an image or package is built in.
    /// </summary>
    private sealed record SystemLayout(string? Root)
    {
        public const string Config = NodeLocator.SystemConfig;

        public const string State = "/var/lib/fedmesh";

        public const string Data = "/var/lib/fedmesh/data";

        public string OnDisk(string path) => Root is null ? path : Path.Join(Root.TrimEnd('/'), path);
    }

    private static string Quote(string path) => path.Contains(' ', StringComparison.Ordinal) ? $"\"{path}\"" : path;

    public static Command Status() => AdminQuery("status", "Show the running node's round, peers, trust, privacy budget and bpc.", "/status", PrintStatus);

    public static Command Peers() => AdminQuery("peers", "List the running node's peers.", "/peers", PrintPeers);

    /// <summary><c>fedmesh health</c>: the admin endpoint's /healthz, exit 0 when live and 1 otherwise (an unreachable node
    /// or 503), for a container HEALTHCHECK or a monitoring probe that runs commands.</summary>
    public static Command Health() => AdminQuery("health", "Check that the running node is alive (its /healthz): exit 0 ok, 1 not.", "/healthz", PrintHealth);

    private static void PrintHealth(JsonElement health, TextWriter output) => output.WriteLine(health.GetProperty("status").GetString());

    public static Command Export()
    {
        var config = NodeLocator.ConfigOption();
        var stateDir = NodeLocator.StateDirOption();
        var output = new Option<string>("--out", "-o") { Description = "Folder to write the adapter to.", Required = true };
        var format = new Option<string>("--format") { Description = "fedmesh (adapter.safetensors + adapter.json) or peft (adapter_config.json + adapter_model.safetensors for Hugging Face PEFT; needs a Hugging Face base).", DefaultValueFactory = _ => "fedmesh" };
        format.AcceptOnlyFromAmong("fedmesh", "peft");
        var command = new Command("export", "Export the node's current adapter (FedMesh or Hugging Face PEFT layout).") { config, stateDir, output, format };
        command.SetAction(parse =>
        {
            TextWriter error = parse.InvocationConfiguration.Error;
            if (!NodeLocator.TryResolve(parse.GetValue(config), parse.GetValue(stateDir), requireConfig: false, requireState: true, out NodeLocation? node, out string problem))
            {
                error.WriteLine($"fedmesh export: {problem}");
                return 2;
            }

            string source = node.State.Adapter;
            string[] files = [Learning.AdapterCheckpoint.TensorsFile, Learning.AdapterCheckpoint.ConfigFile];
            if (files.Any(f => !File.Exists(Path.Combine(source, f))))
            {
                error.WriteLine($"fedmesh export: no adapter in {source} yet (the node writes one after each round)");
                return 1;
            }

            string target = Path.GetFullPath(parse.GetValue(output)!);
            if (parse.GetValue(format) == "peft")
            {
                try
                {
                    using ModelCommands.Loaded loaded = ModelCommands.Load(node.Options, null, source);
                    loaded.Base.SaveAdapter(target, loaded.Learner, loaded.Lora, "peft");
                }
                catch (Exception e) when (e is InvalidDataException or IOException or ArgumentException or Configuration.ConfigException)
                {
                    error.WriteLine($"fedmesh export: {e.Message}");
                    return 1;
                }

                parse.InvocationConfiguration.Output.WriteLine($"exported {Learning.HuggingFace.PeftAdapter.ConfigFile}, {Learning.HuggingFace.PeftAdapter.TensorsFile} to {target}");
                return 0;
            }

            foreach (string f in files)
            {
                AtomicFile.Write(Path.Combine(target, f), File.ReadAllBytes(Path.Combine(source, f)));
            }

            parse.InvocationConfiguration.Output.WriteLine($"exported {string.Join(", ", files)} to {target}");
            return 0;
        });
        return command;
    }

    /// <summary><c>fedmesh trust add|remove|list</c>: the closed-mesh allowlist. <c>add</c>/<c>remove</c> edit the
    /// state directory's file (<see cref="StatePaths.Allowlist"/>); <c>run</c> admits its ids together with
    /// network.allowlist (<see cref="Allowlist"/>), read when the node starts.</summary>
    public static Command Trust()
    {
        var trust = new Command("trust", "Manage the allowlist of a closed mesh (read by `fedmesh run` when it starts).");
        foreach (string verb in new[] { "add", "remove" })
        {
            var config = NodeLocator.ConfigOption();
            var stateDir = NodeLocator.StateDirOption();
            var peer = new Argument<string>("peer-id") { Description = "The peer's id (fedmesh id prints it)." };
            var command = new Command(verb, verb == "add" ? "Admit a peer." : "Stop admitting a peer.") { config, stateDir, peer };
            command.SetAction(parse => EditAllowlist(verb, parse.GetValue(config), parse.GetValue(stateDir), parse.GetValue(peer)!, parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error));
            trust.Subcommands.Add(command);
        }

        var listConfig = NodeLocator.ConfigOption();
        var listStateDir = NodeLocator.StateDirOption();
        var list = new Command("list", "Print the allowlist (network.allowlist and the state directory's list).") { listConfig, listStateDir };
        list.SetAction(parse =>
        {
            if (!NodeLocator.TryResolve(parse.GetValue(listConfig), parse.GetValue(listStateDir), requireConfig: false, requireState: true, out NodeLocation? node, out string problem))
            {
                parse.InvocationConfiguration.Error.WriteLine($"fedmesh trust list: {problem}");
                return 2;
            }

            try
            {
                foreach (string id in Allowlist.Load(node.Options, node.State))
                {
                    parse.InvocationConfiguration.Output.WriteLine(id);
                }

                return 0;
            }
            catch (Exception ex) when (ex is InvalidDataException or IOException or UnauthorizedAccessException)
            {
                parse.InvocationConfiguration.Error.WriteLine($"fedmesh trust list: {ex.Message}");
                return 1;
            }
        });
        trust.Subcommands.Add(list);
        return trust;
    }

    private static int EditAllowlist(string verb, string? config, string? stateDir, string peer, TextWriter output, TextWriter error)
    {
        // The state directory is created by `init` or the first `run`; trust edits it, so it must exist.
        if (!NodeLocator.TryResolve(config, stateDir, requireConfig: false, requireState: true, out NodeLocation? node, out string problem))
        {
            error.WriteLine($"fedmesh trust {verb}: {problem}");
            return 2;
        }

        if (!PeerId.TryParse(peer, out PeerId id, out string invalid))
        {
            error.WriteLine($"fedmesh trust {verb}: {invalid}");
            return 2;
        }

        try
        {
            string path = node.State.Allowlist;
            var ids = Allowlist.ReadFile(path).ToList();
            bool listed = ids.Contains(id.Value);
            if (verb == "remove" && !listed && node.Options.Network.Allowlist.Contains(id.Value))
            {
                error.WriteLine($"fedmesh trust remove: {id} is listed in network.allowlist of {node.ConfigPath}; remove it there");
                return 1;
            }

            if (verb == "add" ? listed : !listed)
            {
                output.WriteLine($"{id} was {(verb == "add" ? "already" : "not")} on the allowlist ({path})");
                return 0;
            }

            if (verb == "add")
            {
                ids.Add(id.Value);
            }
            else
            {
                ids.Remove(id.Value);
            }

            Allowlist.WriteFile(path, ids);
            output.WriteLine($"{(verb == "add" ? "added" : "removed")} {id} ({path}); a running node picks this up when it restarts");
            if (!node.Options.Network.Closed)
            {
                output.WriteLine($"note: network.closed is false{(node.ConfigPath is null ? string.Empty : $" in {node.ConfigPath}")}, so the node admits every peer; set it to true for a closed mesh");
            }

            return 0;
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"fedmesh trust {verb}: {ex.Message}");
            return 1;
        }
    }

    /// <summary>The admin endpoint's base URI from <c>--admin</c> ("127.0.0.1:9465", "[::1]:9465" or a full
    /// "http://…" URL), or null with the problem.</summary>
    public static Uri? AdminUri(string text, out string problem)
    {
        ArgumentNullException.ThrowIfNull(text);
        string candidate = text.Contains("://", StringComparison.Ordinal) ? text : "http://" + text;
        if (Uri.TryCreate(candidate, UriKind.Absolute, out Uri? uri) && uri.Scheme is "http" or "https" && uri.Host.Length > 0)
        {
            problem = string.Empty;
            return uri;
        }

        problem = $"--admin must be host:port or an http:// URL, got \"{text}\"";
        return null;
    }

    private static Command AdminQuery(string name, string description, string path, Action<JsonElement, TextWriter> print)
    {
        var config = NodeLocator.ConfigOption();
        var admin = new Option<string?>("--admin") { Description = "Admin endpoint, e.g. 127.0.0.1:9465 or http://127.0.0.1:9465 (default: admin.listen of the configuration)." };
        var json = new Option<bool>("--json") { Description = "Print the raw JSON." };
        var command = new Command(name, description) { config, admin, json };
        command.SetAction(async (parse, cancel) =>
        {
            TextWriter output = parse.InvocationConfiguration.Output;
            TextWriter error = parse.InvocationConfiguration.Error;
            string? given = parse.GetValue(admin);
            if (given is null)
            {
                if (!NodeLocator.TryResolve(parse.GetValue(config), null, requireConfig: false, requireState: false, out NodeLocation? node, out string problem))
                {
                    error.WriteLine($"fedmesh {name}: {problem}");
                    return 2;
                }

                if (!node.Options.Admin.Enabled)
                {
                    error.WriteLine($"fedmesh {name}: the admin endpoint is disabled in the configuration (admin.enabled = false{(node.ConfigPath is null ? string.Empty : $" in {node.ConfigPath}")})");
                    return 2;
                }

                // Port 0 (any free port): the running node wrote the port it bound to its state directory; without
                // that file the node is not running (or not yet listening), which says more than "port 0 refused".
                given = node.Options.Admin.Listen;
                if (given.EndsWith(":0", StringComparison.Ordinal))
                {
                    if (Hosting.NodeEndpoints.TryRead(node.State.Endpoints)?.Admin is not { } bound)
                    {
                        string start = node.ConfigPath is null ? "fedmesh run" : $"fedmesh run --config {node.ConfigPath}";
                        error.WriteLine($"fedmesh {name}: the node is not running: {node.State.Endpoints} does not exist (admin.listen = {given} takes a free port at start and the running node writes it there); start the node with `{start}`");
                        return 1;
                    }

                    given = bound;
                }
            }

            if (AdminUri(given, out string invalid) is not { } url)
            {
                error.WriteLine($"fedmesh {name}: {invalid}");
                return 2;
            }

            using var http = new HttpClient { Timeout = AdminTimeout };
            try
            {
                JsonElement body = await http.GetFromJsonAsync<JsonElement>(new Uri(url, path), cancel).ConfigureAwait(false);
                if (parse.GetValue(json))
                {
                    output.WriteLine(body.GetRawText());
                }
                else
                {
                    print(body, output);
                }

                return 0;
            }
            catch (TaskCanceledException) when (!cancel.IsCancellationRequested)
            {
                error.WriteLine($"fedmesh {name}: the node at {url} did not answer {path} within {AdminTimeout.TotalSeconds:F0} s (a node busy training on an overloaded machine can be that slow: try again)");
                return 1;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException or InvalidOperationException or KeyNotFoundException)
            {
                error.WriteLine($"fedmesh {name}: cannot read the node's {path} at {url}: {ex.Message}");
                return 1;
            }
        });
        return command;
    }

    /// <summary>The status text. Units are spelled out: the training loss is cross-entropy in nats per byte (also
    /// shown in bits, to compare), held-out scores are bits per byte.</summary>
    internal static void PrintStatus(JsonElement s, TextWriter output)
    {
        CultureInfo c = CultureInfo.InvariantCulture;
        JsonElement p = s.GetProperty("privacy");
        output.WriteLine($"peer id   {s.GetProperty("peer_id").GetString()}  mesh {s.GetProperty("mesh_id").GetString()}  listen {s.GetProperty("listen").GetString()}");
        output.WriteLine($"round     {s.GetProperty("round").GetInt64()}  uptime {s.GetProperty("uptime_seconds").GetDouble().ToString("F0", c)} s");
        string train = Number(s, "last_train_loss") is { } nats
            ? string.Create(c, $"{nats:F4} nats/byte ({nats / Math.Log(2):F4} bits/byte)")
            : "-";
        output.WriteLine($"train     loss {train}");
        output.WriteLine($"held-out  {Bits(s, "last_held_out_bpc")} bits/byte (base model {Bits(s, "base_held_out_bpc")})");
        output.WriteLine($"privacy   {PrivacyLine(p)}");
        output.WriteLine($"deltas    sent {s.GetProperty("deltas_sent").GetInt64()}  received {s.GetProperty("deltas_received").GetInt64()}  merged {s.GetProperty("deltas_merged").GetInt64()}  rejected {s.GetProperty("deltas_rejected").GetInt64()}");
        output.WriteLine($"traffic   in {WireBytes(s.GetProperty("bytes_in").GetInt64())}  out {WireBytes(s.GetProperty("bytes_out").GetInt64())} (wire bytes since start)");
        PrintPeers(s.GetProperty("peers"), output);
    }

    /// <summary>A byte count in the largest decimal unit (B, kB, MB, GB) that keeps it at least 1, one decimal above
    /// bytes: a small mesh's first rounds move a few kB, which "0.0 MB" hid.</summary>
    internal static string WireBytes(long bytes)
    {
        CultureInfo c = CultureInfo.InvariantCulture;
        return bytes switch
        {
            < 1_000 => string.Create(c, $"{bytes} B"),
            < 1_000_000 => string.Create(c, $"{bytes / 1e3:F1} kB"),
            < 1_000_000_000 => string.Create(c, $"{bytes / 1e6:F1} MB"),
            _ => string.Create(c, $"{bytes / 1e9:F2} GB"),
        };
    }

    /// <summary>The privacy line of `status`: "off" when no mechanism applies (no stale ε), else level, ε and mechanism.</summary>
    internal static string PrivacyLine(JsonElement p)
    {
        CultureInfo c = CultureInfo.InvariantCulture;
        string level = p.TryGetProperty("level", out JsonElement l) ? l.GetString() ?? "off" : "off";
        if (level == Privacy.PrivacyLevels.Off)
        {
            return "DP off (privacy.level = \"off\"): updates leave the node as trained";
        }

        string mechanism = level == Privacy.PrivacyLevels.Record
            ? $"record level (DP-SGD per document): σ {p.GetProperty("noise_multiplier").GetDouble().ToString("G4", c)}, C {p.GetProperty("clip_norm").GetDouble().ToString("G4", c)}, q {p.GetProperty("sampling_rate").GetDouble().ToString("G4", c)}, {p.GetProperty("steps_per_round").GetInt64()} steps/round"
            : $"node level (whole update): σ {p.GetProperty("noise_multiplier").GetDouble().ToString("G4", c)}, C {p.GetProperty("clip_norm").GetDouble().ToString("G4", c)}";
        return $"ε {p.GetProperty("epsilon_spent").GetDouble().ToString("F3", c)} of {p.GetProperty("epsilon_budget").GetDouble().ToString("F3", c)} (δ {p.GetProperty("delta").GetDouble().ToString("G3", c)}), {p.GetProperty("state").GetString()}; {mechanism}";
    }

    private static void PrintPeers(JsonElement peers, TextWriter output)
    {
        output.WriteLine($"peers     {peers.GetArrayLength()}");
        foreach (JsonElement p in peers.EnumerateArray())
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {p.GetProperty("peer_id").GetString()}  {p.GetProperty("address").GetString(),-22} trust {p.GetProperty("trust").GetDouble():F2}  {p.GetProperty("source").GetString()}"));
        }
    }

    private static double? Number(JsonElement s, string name) =>
        s.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;

    private static string Bits(JsonElement s, string name) =>
        Number(s, name) is { } v ? v.ToString("F4", CultureInfo.InvariantCulture) : "-";
}
