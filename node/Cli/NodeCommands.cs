using System.CommandLine;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using FedMesh.Node.Configuration;
using FedMesh.Node.Hosting;
using FedMesh.Node.Storage;
using FedMesh.Protocol.Identity;
using FedMesh.Protocol.IO;

namespace FedMesh.Node.Cli;

/// <summary><c>fedmesh init</c>, <c>status</c>, <c>peers</c>, <c>export</c>, <c>trust</c>. Exit codes: 0 ok, 1 the
/// operation failed (node unreachable, nothing to export), 2 bad usage or configuration.</summary>
public static class NodeCommands
{
    public static Command Init()
    {
        var dir = new Option<string>("--dir") { Description = "Folder for fedmesh.toml and the state directory.", DefaultValueFactory = _ => "." };
        var name = new Option<string>("--name") { Description = "Node name.", DefaultValueFactory = _ => Environment.MachineName.ToLowerInvariant() };
        var port = new Option<int>("--port") { Description = "TCP port to listen on.", DefaultValueFactory = _ => NetworkSection.Default.ListenPort };
        var data = new Option<string?>("--data") { Description = "Folder with this node's private training data (default DIR/data)." };
        var mesh = new Option<string>("--mesh") { Description = "Mesh name.", DefaultValueFactory = _ => NetworkSection.Default.MeshId };
        var seeds = new Option<string[]>("--seed") { Description = "Bootstrap peer host:port or peerid@host:port (repeatable).", AllowMultipleArgumentsPerToken = true };
        var force = new Option<bool>("--force") { Description = "Overwrite an existing fedmesh.toml." };
        var command = new Command("init", "Write a commented configuration and an identity key; print the peer id.") { dir, name, port, data, mesh, seeds, force };
        command.SetAction(parse =>
        {
            string root = Path.GetFullPath(parse.GetValue(dir)!);
            string configPath = Path.Combine(root, "fedmesh.toml");
            if (File.Exists(configPath) && !parse.GetValue(force))
            {
                Console.Error.WriteLine($"fedmesh init: {configPath} exists (use --force to overwrite)");
                return 2;
            }

            var overrides = new Dictionary<string, object>
            {
                ["node.name"] = parse.GetValue(name)!,
                ["node.state_dir"] = Path.Combine(root, "state"),
                ["network.listen_port"] = (long)parse.GetValue(port),
                ["network.mesh_id"] = parse.GetValue(mesh)!,
                ["network.seeds"] = (parse.GetValue(seeds) ?? []).ToList(),
                ["data.folder"] = Path.GetFullPath(parse.GetValue(data) ?? Path.Combine(root, "data")),
            };
            try
            {
                (IReadOnlyDictionary<string, object> privacy, string privacySummary) = InitPrivacy.For((string)overrides["data.folder"], NodeOptions.Default);
                foreach ((string key, object value) in privacy)
                {
                    overrides[key] = value;
                }

                NodeOptions options = ConfigWriter.WriteDefault(configPath, overrides);
                Directory.CreateDirectory(options.Data.Folder);
                using StateDirectory state = StateDirectory.Open(options.Node.StateDir);
                using NodeIdentity identity = File.Exists(state.Paths.IdentityKey) ? KeyFile.Load(state.Paths.IdentityKey) : KeyFile.Create(state.Paths.IdentityKey);
                Console.WriteLine($"wrote {configPath}");
                Console.WriteLine($"peer id {identity.PeerId}");
                Console.WriteLine(privacySummary);
                return 0;
            }
            catch (Exception ex) when (ex is ConfigException or IOException or UnauthorizedAccessException or StateDirectoryException or KeyFileException)
            {
                Console.Error.WriteLine($"fedmesh init: {ex.Message}");
                return 2;
            }
        });
        return command;
    }

    public static Command Status() => AdminQuery("status", "Show the running node's round, peers, trust, privacy budget and bpc.", "/status", PrintStatus);

    public static Command Peers() => AdminQuery("peers", "List the running node's peers.", "/peers", PrintPeers);

    public static Command Export()
    {
        var config = ConfigOption();
        var output = new Option<string>("--out", "-o") { Description = "Folder to write adapter.safetensors and adapter.json to.", Required = true };
        var command = new Command("export", "Export the node's current adapter (safetensors + JSON config).") { config, output };
        command.SetAction(parse =>
        {
            if (!TryLoad(parse.GetValue(config)!, "export", out NodeOptions? options))
            {
                return 2;
            }

            string source = NodeFactory.ExportDirectory(new StatePaths(options.Node.StateDir));
            string[] files = [Learning.AdapterCheckpoint.TensorsFile, Learning.AdapterCheckpoint.ConfigFile];
            if (files.Any(f => !File.Exists(Path.Combine(source, f))))
            {
                Console.Error.WriteLine($"fedmesh export: no adapter in {source} yet (the node writes one after each round)");
                return 1;
            }

            string target = Path.GetFullPath(parse.GetValue(output)!);
            foreach (string f in files)
            {
                AtomicFile.Write(Path.Combine(target, f), File.ReadAllBytes(Path.Combine(source, f)));
            }

            Console.WriteLine($"exported {string.Join(", ", files)} to {target}");
            return 0;
        });
        return command;
    }

    /// <summary><c>fedmesh trust add|remove|list</c>: the closed-mesh allowlist kept in the state directory (one peer id
    /// per line, merged with network.allowlist; read when the node starts).</summary>
    public static Command Trust()
    {
        var trust = new Command("trust", "Manage the allowlist of a closed mesh.");
        foreach (string verb in new[] { "add", "remove" })
        {
            var config = ConfigOption();
            var peer = new Argument<string>("peer-id") { Description = "The peer's id (fedmesh id prints it)." };
            var command = new Command(verb, verb == "add" ? "Admit a peer." : "Stop admitting a peer.") { config, peer };
            command.SetAction(parse =>
            {
                if (!TryLoad(parse.GetValue(config)!, $"trust {verb}", out NodeOptions? options))
                {
                    return 2;
                }

                if (!PeerId.TryParse(parse.GetValue(peer), out PeerId id, out string error))
                {
                    Console.Error.WriteLine($"fedmesh trust {verb}: {error}");
                    return 2;
                }

                string path = AllowlistPath(options);
                var ids = ReadAllowlist(path).ToList();
                bool changed = verb == "add" ? !ids.Contains(id.Value) : ids.Remove(id.Value);
                if (verb == "add" && changed)
                {
                    ids.Add(id.Value);
                }

                AtomicFile.Write(path, System.Text.Encoding.ASCII.GetBytes(string.Concat(ids.Select(i => i + "\n"))));
                Console.WriteLine(changed ? $"{(verb == "add" ? "added" : "removed")} {id}" : $"{id} was {(verb == "add" ? "already" : "not")} on the allowlist");
                return 0;
            });
            trust.Subcommands.Add(command);
        }

        var listConfig = ConfigOption();
        var list = new Command("list", "Print the allowlist (configuration and state directory).") { listConfig };
        list.SetAction(parse =>
        {
            if (!TryLoad(parse.GetValue(listConfig)!, "trust list", out NodeOptions? options))
            {
                return 2;
            }

            foreach (string id in options.Network.Allowlist.Concat(ReadAllowlist(AllowlistPath(options))).Distinct(StringComparer.Ordinal))
            {
                Console.WriteLine(id);
            }

            return 0;
        });
        trust.Subcommands.Add(list);
        return trust;
    }

    /// <summary>Allowlisted peer ids of the state directory's allowlist file (invalid lines are skipped).</summary>
    public static IReadOnlyList<string> ReadAllowlist(string path) =>
        File.Exists(path)
            ? File.ReadLines(path).Select(l => l.Trim()).Where(l => PeerId.TryParse(l, out _, out _)).ToArray()
            : [];

    public static string AllowlistPath(NodeOptions options) => Path.Combine(options.Node.StateDir, "allowlist");

    private static Option<string> ConfigOption() =>
        new("--config", "-c") { Description = "Configuration file (TOML).", DefaultValueFactory = _ => "/etc/fedmesh/fedmesh.toml" };

    private static bool TryLoad(string path, string verb, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out NodeOptions? options)
    {
        try
        {
            options = ConfigLoader.Load(path, ConfigLoader.ProcessEnvironment());
            return true;
        }
        catch (ConfigException ex)
        {
            Console.Error.WriteLine($"fedmesh {verb}: {ex.Message}");
            options = null;
            return false;
        }
    }

    private static Command AdminQuery(string name, string description, string path, Action<JsonElement> print)
    {
        var config = ConfigOption();
        var admin = new Option<string?>("--admin") { Description = "Admin endpoint, e.g. http://127.0.0.1:7462 (default: from the configuration)." };
        var json = new Option<bool>("--json") { Description = "Print the raw JSON." };
        var command = new Command(name, description) { config, admin, json };
        command.SetAction(async (parse, cancel) =>
        {
            string? url = parse.GetValue(admin);
            if (url is null)
            {
                if (!TryLoad(parse.GetValue(config)!, name, out NodeOptions? options))
                {
                    return 2;
                }

                if (!options.Admin.Enabled)
                {
                    Console.Error.WriteLine($"fedmesh {name}: the admin endpoint is disabled in the configuration (admin.enabled = false)");
                    return 2;
                }

                url = $"http://{options.Admin.Listen}";
            }

            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            try
            {
                JsonElement body = await http.GetFromJsonAsync<JsonElement>(url.TrimEnd('/') + path, cancel).ConfigureAwait(false);
                if (parse.GetValue(json))
                {
                    Console.WriteLine(body.GetRawText());
                }
                else
                {
                    print(body);
                }

                return 0;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException)
            {
                Console.Error.WriteLine($"fedmesh {name}: cannot reach the node at {url}: {ex.Message}");
                return 1;
            }
        });
        return command;
    }

    private static void PrintStatus(JsonElement s)
    {
        CultureInfo c = CultureInfo.InvariantCulture;
        JsonElement p = s.GetProperty("privacy");
        Console.WriteLine($"peer id   {s.GetProperty("peer_id").GetString()}  mesh {s.GetProperty("mesh_id").GetString()}  listen {s.GetProperty("listen").GetString()}");
        Console.WriteLine($"round     {s.GetProperty("round").GetInt64()}  uptime {s.GetProperty("uptime_seconds").GetDouble().ToString("F0", c)} s");
        Console.WriteLine($"loss      train {Num(s, "last_train_loss")}  held-out bpc {Num(s, "last_held_out_bpc")} (base {Num(s, "base_held_out_bpc")})");
        Console.WriteLine($"privacy   {PrivacyLine(p)}");
        Console.WriteLine($"deltas    sent {s.GetProperty("deltas_sent").GetInt64()}  received {s.GetProperty("deltas_received").GetInt64()}  merged {s.GetProperty("deltas_merged").GetInt64()}  rejected {s.GetProperty("deltas_rejected").GetInt64()}");
        PrintPeers(s.GetProperty("peers"));
    }

    /// <summary>The privacy line of `status`: "off" when no mechanism applies (no stale ε), else level, ε and mechanism.</summary>
    internal static string PrivacyLine(JsonElement p)
    {
        CultureInfo c = CultureInfo.InvariantCulture;
        string level = p.TryGetProperty("level", out JsonElement l) ? l.GetString() ?? "off" : "off";
        if (level == Privacy.PrivacyLevels.Off)
        {
            return "off (no differential privacy: updates leave the node as trained)";
        }

        string mechanism = level == Privacy.PrivacyLevels.Record
            ? $"record level (DP-SGD per document): σ {p.GetProperty("noise_multiplier").GetDouble().ToString("G4", c)}, C {p.GetProperty("clip_norm").GetDouble().ToString("G4", c)}, q {p.GetProperty("sampling_rate").GetDouble().ToString("G4", c)}, {p.GetProperty("steps_per_round").GetInt64()} steps/round"
            : $"node level (whole update): σ {p.GetProperty("noise_multiplier").GetDouble().ToString("G4", c)}, C {p.GetProperty("clip_norm").GetDouble().ToString("G4", c)}";
        return $"ε {p.GetProperty("epsilon_spent").GetDouble().ToString("F3", c)} of {p.GetProperty("epsilon_budget").GetDouble().ToString("F3", c)} (δ {p.GetProperty("delta").GetDouble().ToString("G3", c)}), {p.GetProperty("state").GetString()}; {mechanism}";
    }

    private static void PrintPeers(JsonElement peers)
    {
        Console.WriteLine($"peers     {peers.GetArrayLength()}");
        foreach (JsonElement p in peers.EnumerateArray())
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {p.GetProperty("peer_id").GetString()}  {p.GetProperty("address").GetString(),-22} trust {p.GetProperty("trust").GetDouble():F2}  {p.GetProperty("source").GetString()}"));
        }
    }

    private static string Num(JsonElement s, string name) =>
        s.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble().ToString("F4", CultureInfo.InvariantCulture) : "-";
}
