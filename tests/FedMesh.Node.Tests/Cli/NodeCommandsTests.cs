using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using FedMesh.Node.Cli;
using FedMesh.Node.Configuration;
using FedMesh.Node.Hosting;
using FedMesh.Node.Membership;
using FedMesh.Node.Storage;
using FedMesh.Protocol.Identity;

namespace FedMesh.Node.Tests.Cli;

/// <summary>`init`, `trust`, `keygen`/`id`, `status`, `export` and `run`'s start checks, through the CLI entry point.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class NodeCommandsTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("fedmesh-cli-node-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static (int Exit, string Out, string Err) Cli(params string[] args) => CliRunner.Run(args);

    private (string Config, string PeerId, string Output) Init(string lab, params string[] flags)
    {
        string dir = Path.Combine(_root, lab);
        (int exit, string output, string error) = Cli(["init", "--dir", dir, .. flags]);
        Assert.True(exit == 0, error);
        string peer = output.Split('\n').Single(l => l.StartsWith("peer id ", StringComparison.Ordinal))["peer id ".Length..].Trim();
        return (Path.Combine(dir, "fedmesh.toml"), peer, output);
    }

    [Fact]
    public void Two_labs_are_set_up_with_init_flags_alone()
    {
        string stateA = Path.Combine(_root, "srv", "a-state");
        string dataA = Path.Combine(_root, "srv", "a-data");
        (string configA, string peerA, string outputA) = Init("lab-a",
            "--name", "lab-a", "--listen-address", "10.1.0.1", "--port", "7100", "--admin-listen", "127.0.0.1:7101",
            "--metrics-listen", "127.0.0.1:7102", "--state-dir", stateA, "--data", dataA, "--mesh", "hospitals", "--closed");
        (string configB, string peerB, _) = Init("lab-b",
            "--name", "lab-b", "--listen-address", "10.2.0.1", "--port", "7200", "--admin-listen", "127.0.0.1:7201",
            "--mesh", "hospitals", "--seed", $"{peerA}@10.1.0.1:7100", "--closed", "--allow", peerA);

        NodeOptions a = ConfigLoader.Load(configA, new Dictionary<string, string>());
        NodeOptions b = ConfigLoader.Load(configB, new Dictionary<string, string>());
        Assert.Equal(("lab-a", stateA, dataA), (a.Node.Name, a.Node.StateDir, a.Data.Folder));
        Assert.Equal(("10.1.0.1", 7100, "hospitals", true), (a.Network.ListenAddress, a.Network.ListenPort, a.Network.MeshId, a.Network.Closed));
        Assert.Equal(("127.0.0.1:7101", true, "127.0.0.1:7102"), (a.Admin.Listen, a.Metrics.Enabled, a.Metrics.Listen));
        Assert.Equal(("10.2.0.1", 7200, "127.0.0.1:7201", EndpointSection.DefaultMetrics.Listen), (b.Network.ListenAddress, b.Network.ListenPort, b.Admin.Listen, b.Metrics.Listen));
        Assert.Equal([$"{peerA}@10.1.0.1:7100"], b.Network.Seeds);
        Assert.Equal([peerA], b.Network.Allowlist);
        Assert.Equal(Path.Combine(_root, "lab-b", "state"), b.Node.StateDir);
        Assert.True(Directory.Exists(dataA));

        // The identity init printed is the daemon's key, which `fedmesh id --config` reads.
        Assert.Equal(peerA, KeyFile.Load(new StatePaths(stateA).IdentityKey).PeerId.Value);
        Assert.Equal(peerB, Cli("id", "--config", configB).Out.Trim());

        // It tells the operator what to do next.
        Assert.Contains($"fedmesh run --config {configA}", outputA, StringComparison.Ordinal);
        Assert.Contains($"fedmesh data check --config {configA}", outputA, StringComparison.Ordinal);
        Assert.Contains($"--seed {peerA}@10.1.0.1:7100", outputA, StringComparison.Ordinal);
        Assert.Contains("fedmesh trust add", outputA, StringComparison.Ordinal);

        // Lab A closes its mesh to B with `trust add`, and what run admits includes B.
        (int exit, string added, string error) = Cli("trust", "add", "--config", configA, peerB);
        Assert.True(exit == 0, error);
        Assert.Contains($"added {peerB}", added, StringComparison.Ordinal);
        Assert.Equal([peerB], Allowlist.Load(a, new StatePaths(stateA)));
        Assert.Equal([PeerId.Parse(peerB)], NodeFactory.ClosedMeshAllowlist(a, new StatePaths(stateA)));
        Assert.Equal(peerB, Cli("trust", "list", "--config", configA).Out.Trim());
    }

    [Fact]
    public void A_bad_init_flag_names_its_key()
    {
        (int exit, _, string error) = Cli("init", "--dir", Path.Combine(_root, "x"), "--listen-address", "localhost");
        Assert.Equal(2, exit);
        Assert.Contains("network.listen_address must be an IP address", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_closed_mesh_with_nobody_allowed_is_a_start_error_that_says_how_to_add_peers()
    {
        (string config, _, _) = Init("lab", "--closed");
        NodeOptions options = ConfigLoader.Load(config, new Dictionary<string, string>());
        var ex = Assert.Throws<ConfigException>(() => NodeFactory.ClosedMeshAllowlist(options, new StatePaths(options.Node.StateDir)));
        Assert.Contains("network.closed is true but no peer is allowed", ex.Message, StringComparison.Ordinal);
        Assert.Contains("fedmesh trust add", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Trust_remove_of_a_configured_id_points_to_the_configuration_and_a_bad_allowlist_line_is_named()
    {
        using NodeIdentity other = NodeIdentity.Create();
        (string config, _, _) = Init("lab", "--closed", "--allow", other.PeerId.Value);
        (int exit, _, string error) = Cli("trust", "remove", "--config", config, other.PeerId.Value);
        Assert.Equal(1, exit);
        Assert.Contains($"network.allowlist of {config}", error, StringComparison.Ordinal);

        NodeOptions options = ConfigLoader.Load(config, new Dictionary<string, string>());
        var paths = new StatePaths(options.Node.StateDir);
        File.WriteAllText(paths.Allowlist, "# lab c\nnot-a-peer\n");
        (exit, _, error) = Cli("trust", "list", "--config", config);
        Assert.Equal(1, exit);
        Assert.Contains($"{paths.Allowlist}:2: not a peer id", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Keygen_and_id_default_to_the_daemons_key_in_the_state_directory()
    {
        string state = Path.Combine(_root, "state");
        (int exit, string id, string error) = Cli("keygen", "--state-dir", state);
        Assert.True(exit == 0, error);
        Assert.True(File.Exists(new StatePaths(state).IdentityKey));
        Assert.Equal(StateDirectory.DirectoryMode, File.GetUnixFileMode(state));
        Assert.Equal(id.Trim(), Cli("id", "--state-dir", state).Out.Trim());
        Assert.Equal(1, Cli("keygen", "--state-dir", state).Exit);
    }

    [Fact]
    public void Commands_given_a_state_directory_that_does_not_exist_name_it()
    {
        string missing = Path.Combine(_root, "missing");
        foreach (string[] args in new[]
        {
            new[] { "id", "--state-dir", missing },
            ["export", "--state-dir", missing, "--out", Path.Combine(_root, "out")],
            ["trust", "add", "--state-dir", missing, NodeIdentity.Create().PeerId.Value],
            ["trust", "list", "--state-dir", missing],
            ["audit", "verify", "--state-dir", missing],
        })
        {
            (int exit, string output, string error) = Cli(args);
            Assert.True(exit == 2, $"{string.Join(' ', args)} exited {exit}: {output}{error}");
            Assert.Contains($"state directory {missing} does not exist", error, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Audit_verify_finds_the_log_through_the_configuration_and_refuses_a_missing_one()
    {
        (string config, _, _) = Init("lab");
        (int exit, _, string error) = Cli("audit", "verify", "--config", config);
        Assert.Equal(AuditCommand.ExitUsageOrIo, exit);
        Assert.Contains($"{Path.Combine(_root, "lab", "state", "audit.log")} does not exist", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_rejects_a_bad_privacy_key_with_file_and_line_before_loading_anything()
    {
        (string config, _, _) = Init("lab");
        File.AppendAllText(config, string.Empty);
        string text = System.Text.RegularExpressions.Regex.Replace(File.ReadAllText(config), "(?m)^noise_multiplier = .*$", "noise_multiplier = 0.1");
        File.WriteAllText(config, text);
        int line = Array.FindIndex(text.Split('\n'), l => l.StartsWith("noise_multiplier", StringComparison.Ordinal)) + 1;

        (int exit, _, string error) = Cli("run", "--config", config);

        Assert.Equal(2, exit);
        Assert.Contains($"{config}:{line}: privacy.noise_multiplier must be 0 (planned at start", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_with_too_little_data_fails_at_start_naming_data_folder_before_the_base_model_loads()
    {
        (string config, _, _) = Init("lab", "--port", "1", "--admin-listen", "127.0.0.1:1", "--metrics-listen", "127.0.0.1:1");
        NodeOptions options = ConfigLoader.Load(config, new Dictionary<string, string>());
        File.WriteAllText(Path.Combine(options.Data.Folder, "only.txt"), "one short note");

        (int exit, _, string error) = Cli("run", "--config", config);

        Assert.Equal(1, exit);
        Assert.StartsWith($"fedmesh run: data.folder {options.Data.Folder}: the training split holds", error, StringComparison.Ordinal);
        Assert.Contains("at least 66 bytes", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);

        // base.ref is written once the base model is loaded: the start stopped before that.
        Assert.False(File.Exists(new StatePaths(options.Node.StateDir).BaseRef));
    }

    [Fact]
    public void Status_of_a_node_on_an_any_port_admin_endpoint_that_is_not_running_says_so_and_how_to_start_it()
    {
        (string config, _, _) = Init("lab", "--port", "0", "--admin-listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0");
        NodeOptions options = ConfigLoader.Load(config, new Dictionary<string, string>());

        (int exit, _, string error) = Cli("status", "--config", config);

        Assert.Equal(1, exit);
        Assert.StartsWith($"fedmesh status: the node is not running: {new StatePaths(options.Node.StateDir).Endpoints} does not exist", error, StringComparison.Ordinal);
        Assert.Contains($"`fedmesh run --config {config}`", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_with_a_missing_data_folder_names_data_folder()
    {
        (string config, _, _) = Init("lab", "--data", Path.Combine(_root, "no-data"), "--port", "1", "--admin-listen", "127.0.0.1:1", "--metrics-listen", "127.0.0.1:1");
        Directory.Delete(Path.Combine(_root, "no-data"));

        (int exit, _, string error) = Cli("run", "--config", config);

        Assert.Equal(1, exit);
        Assert.StartsWith($"fedmesh run: data.folder {Path.Combine(_root, "no-data")} does not exist", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("127.0.0.1:9465", "http://127.0.0.1:9465/")]
    [InlineData("http://127.0.0.1:9465", "http://127.0.0.1:9465/")]
    [InlineData("[::1]:9465", "http://[::1]:9465/")]
    public void Admin_endpoints_are_accepted_with_or_without_a_scheme(string given, string expected)
    {
        Assert.Equal(expected, NodeCommands.AdminUri(given, out _)!.ToString());
    }

    [Fact]
    public async Task Status_without_a_scheme_reads_the_node_and_labels_units_and_dp_off()
    {
        var status = new NodeStatus
        {
            PeerId = "p",
            MeshId = "m",
            Listen = "127.0.0.1:1",
            Round = 4,
            LastTrainLoss = 1.3862943611198906, // 2 bits
            LastHeldOutBpc = 2.5,
            BaseHeldOutBpc = 2.75,
            Privacy = new PrivacyStatus(false, 7.088, 8, 1e-5, PrivacyStatus.Off),
            BytesIn = 3_000_000,
            BytesOut = 5_000_000,
        };
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        Task serve = ServeOnceAsync(listener, JsonSerializer.Serialize(status, AdminServer.Json));

        (int exit, string output, string error) = await Task.Run(() => Cli("status", "--admin", $"127.0.0.1:{port}"));
        await serve;

        Assert.True(exit == 0, error);
        Assert.Contains("loss 1.3863 nats/byte (2.0000 bits/byte)", output, StringComparison.Ordinal);
        Assert.Contains("held-out  2.5000 bits/byte (base model 2.7500)", output, StringComparison.Ordinal);
        Assert.Contains("DP off", output, StringComparison.Ordinal);
        Assert.DoesNotContain("of 8", output, StringComparison.Ordinal);
        Assert.Contains("in 3.0 MB  out 5.0 MB", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Status_with_a_malformed_admin_address_is_a_usage_error()
    {
        (int exit, _, string error) = Cli("status", "--admin", "http://");
        Assert.Equal(2, exit);
        Assert.Contains("--admin must be host:port", error, StringComparison.Ordinal);
    }

    /// <summary>Answers one HTTP request with <paramref name="json"/> (the admin endpoint's shape).</summary>
    private static async Task ServeOnceAsync(TcpListener listener, string json)
    {
        using TcpClient client = await listener.AcceptTcpClientAsync();
        using NetworkStream stream = client.GetStream();
        var request = new StringBuilder();
        byte[] buffer = new byte[4096];
        while (!request.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
        {
            int n = await stream.ReadAsync(buffer);
            if (n == 0)
            {
                return;
            }

            request.Append(Encoding.ASCII.GetString(buffer, 0, n));
        }

        Assert.StartsWith("GET /status ", request.ToString(), StringComparison.Ordinal);
        byte[] body = Encoding.UTF8.GetBytes(json);
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n"));
        await stream.WriteAsync(body);
    }
}
