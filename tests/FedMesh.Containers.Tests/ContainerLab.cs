using System.Diagnostics;
using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Configurations;
using DotNet.Testcontainers.Containers;
using DotNet.Testcontainers.Images;
using DotNet.Testcontainers.Networks;
using DotNet.Testcontainers.Volumes;
using FedMesh.Node.Data.Corpora;
using FedMesh.Node.Learning;

namespace FedMesh.Containers.Tests;

/// <summary>
/// Shared by the container tests: the image, a base model pretrained once on the host (mounted read-only at /cache in
/// every container, so no container pretrains), each node's data shard of the shipped SOTU corpus (read-only at
/// /data), one user-defined docker network, and the four-node mesh n0..n3 started once. Settings are the daemon tests'
/// small ones (60 pretraining steps, 10 documents of 3000 characters, 2 s rounds of 8 steps, one training thread), so
/// the suite stays within a few minutes on 2 shared cores.
/// </summary>
public sealed class ContainerLab : IAsyncLifetime
{
    /// <summary>Pretraining steps of the shared base: a real (poor) model in seconds, as in the daemon tests.</summary>
    public const int PretrainSteps = 60;

    /// <summary>Nodes of the mesh.</summary>
    public const int MeshSize = 4;

    /// <summary>How long a node may take to answer /readyz after its container starts (model load on loaded cores).</summary>
    public static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);

    private const int DocumentsPerNode = 10;
    private const int DocumentChars = 3000;

    private readonly List<MeshNode> _nodes = [];
    private readonly List<IVolume> _volumes = [];
    private readonly string _prefix = "fm" + Guid.NewGuid().ToString("N")[..8];
    private INetwork? _network;
    private SotuPartition? _partition;

    public string? SkipReason { get; private set; } = DockerHost.SkipReason;

    public string Image { get; private set; } = string.Empty;

    /// <summary>What was measured while preparing: image size and build time, node start times.</summary>
    public List<string> Measurements { get; } = [];

    public string Root { get; } = Directory.CreateTempSubdirectory("fedmesh-containers-").FullName;

    public string NetworkName => _network!.Name;

    /// <summary>n0..n3, by index.</summary>
    public IReadOnlyList<MeshNode> Mesh { get; private set; } = [];

    public async Task InitializeAsync()
    {
        if (SkipReason is not null)
        {
            return;
        }

        (string tag, long size, TimeSpan? built) = MeshImage.Resolve();
        Image = tag;
        Measurements.Add($"image {tag}: {size / (1024.0 * 1024):F0} MiB{(built is { } b ? $", built in {b.TotalSeconds:F0} s" : string.Empty)}");

        string cache = Shared("cache");
        BaseModelCache.GetOrCreate(PretrainOptions.Default with { Model = ModelOptions.Default, Steps = PretrainSteps }, cache);
        MakeReadable(cache);
        _partition = SotuPartition.Create(SotuCorpus.ReadShipped(), MeshSize, SotuSplitOptions.Default);

        _network = new NetworkBuilder().WithName(_prefix + "-net").Build();
        await _network.CreateAsync();

        var clock = Stopwatch.StartNew();
        // n0 seeds n1 and every other node seeds n0: any one start order joins them all.
        Task<MeshNode>[] starting = Enumerable.Range(0, MeshSize)
            .Select(i => StartAsync($"n{i}", i, "mesh", i == 0 ? "n1:7461" : "n0:7461", Overrides(i)))
            .ToArray();
        Mesh = await Task.WhenAll(starting);
        Measurements.Add($"{MeshSize} containers ready (cached base, /readyz) {clock.Elapsed.TotalSeconds:F0} s after the first was started");
    }

    /// <summary>n1 runs with record-level DP (σ fixed so its ledger grows every round, a budget no test exhausts);
    /// the others with DP off, as the daemon mesh tests.</summary>
    private static Dictionary<string, string> Overrides(int index) => index == 1
        ? new() { ["FEDMESH_PRIVACY__LEVEL"] = "record", ["FEDMESH_PRIVACY__NOISE_MULTIPLIER"] = "1.0", ["FEDMESH_PRIVACY__EPSILON_BUDGET"] = "1000" }
        : new() { ["FEDMESH_PRIVACY__LEVEL"] = "off" };

    /// <summary>Starts one node container on the lab network (alias <paramref name="name"/>), with its own state
    /// volume, its data shard and the shared base, and waits for /readyz; with <paramref name="exitsAtOnce"/> (a node
    /// that must refuse to start) it neither waits nor publishes the metrics port: Testcontainers waits up to 15 s
    /// for published ports to be mapped, which never happens once the container has exited, so whether the start
    /// returned depended on whether the exit beat Docker's first inspect (session 28's CI: a TimeoutException).</summary>
    public async Task<MeshNode> StartAsync(string name, int shard, string mesh, string? seeds, IReadOnlyDictionary<string, string> overrides, bool exitsAtOnce = false)
    {
        IVolume volume = new VolumeBuilder().WithName($"{_prefix}-{name}-state").Build();
        await volume.CreateAsync();
        lock (_volumes)
        {
            _volumes.Add(volume);
        }

        var environment = new Dictionary<string, string>
        {
            ["FEDMESH_NODE__NAME"] = name,
            ["FEDMESH_NODE__SEED"] = (shard + 1).ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["FEDMESH_NETWORK__MESH_ID"] = mesh,
            ["FEDMESH_NETWORK__MDNS"] = "false",
            ["FEDMESH_LEARNING__PRETRAIN_STEPS"] = PretrainSteps.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["FEDMESH_LEARNING__THREADS"] = "1",
            ["FEDMESH_GOSSIP__PERIOD_SECONDS"] = "2",
            ["FEDMESH_GOSSIP__LOCAL_STEPS"] = "8",
            ["FEDMESH_CACHE_DIR"] = "/cache",
        };
        if (seeds is not null)
        {
            environment["FEDMESH_NETWORK__SEEDS"] = seeds;
        }

        foreach ((string key, string value) in overrides)
        {
            environment[key] = value;
        }

        ContainerBuilder builder = new ContainerBuilder(Image)
            .WithName($"{_prefix}-{name}")
            .WithImagePullPolicy(PullPolicy.Never)
            .WithNetwork(_network)
            .WithNetworkAliases(name)
            .WithVolumeMount(volume, "/var/lib/fedmesh")
            .WithBindMount(Data(name, shard), "/data", AccessMode.ReadOnly)
            .WithBindMount(Shared("cache"), "/cache", AccessMode.ReadOnly)
            .WithEnvironment(environment);
        if (!exitsAtOnce)
        {
            builder = builder
                .WithPortBinding(MeshNode.MetricsPort, assignRandomHostPort: true)
                .WithWaitStrategy(Wait.ForUnixContainer().UntilHttpRequestIsSucceeded(r => r.ForPort(MeshNode.MetricsPort).ForPath("/readyz")));
        }

        var node = new MeshNode(name, builder.Build());
        lock (_nodes)
        {
            _nodes.Add(node);
        }

        using var timeout = new CancellationTokenSource(StartTimeout);
        try
        {
            await node.Container.StartAsync(timeout.Token);
        }
        catch (Exception ex) when (!exitsAtOnce && ex is OperationCanceledException or TimeoutException)
        {
            Assert.Fail($"{name} was not ready within {StartTimeout}: {ex.Message}\n{await node.LogsAsync()}");
        }

        return node;
    }

    public async Task DisposeAsync()
    {
        foreach (MeshNode node in _nodes)
        {
            await node.DisposeAsync();
        }

        foreach (IVolume volume in _volumes)
        {
            await volume.DisposeAsync();
        }

        if (_network is not null)
        {
            await _network.DisposeAsync();
        }

        Directory.Delete(Root, recursive: true);
    }

    /// <summary>A node's data folder: ten pieces of its era's addresses (the same shards as the daemon tests).</summary>
    private string Data(string name, int shard)
    {
        string folder = Path.Combine(Root, "data", name);
        Directory.CreateDirectory(folder);
        int n = 0;
        foreach (string piece in _partition!.Shards[shard % MeshSize].Addresses
            .SelectMany(a => a.Text.Chunk(DocumentChars).Select(c => new string(c)))
            .Take(DocumentsPerNode))
        {
            File.WriteAllText(Path.Combine(folder, $"doc{n++}.txt"), piece);
        }

        MakeReadable(folder);
        return folder;
    }

    private string Shared(string name)
    {
        string folder = Path.Combine(Root, name);
        Directory.CreateDirectory(folder);
        return folder;
    }

    /// <summary>The containers run as uid 10001: bind-mounted folders must be readable by others.</summary>
    private static void MakeReadable(string folder)
    {
        const UnixFileMode Dir = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
        const UnixFileMode File = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        for (var dir = new DirectoryInfo(folder); dir is not null && dir.FullName.StartsWith(Path.GetTempPath(), StringComparison.Ordinal); dir = dir.Parent)
        {
            System.IO.File.SetUnixFileMode(dir.FullName, Dir);
        }

        foreach (string file in Directory.EnumerateFiles(folder))
        {
            System.IO.File.SetUnixFileMode(file, File);
        }
    }
}
