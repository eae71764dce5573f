using FedMesh.Node.Attacks;
using FedMesh.Node.Data.Corpora;
using FedMesh.Node.Hosting;
using FedMesh.Node.Learning;

namespace FedMesh.Node.Tests.Integration;

/// <summary>
/// Shared by the daemon tests of a class: a temp root, a base-model cache every daemon reads
/// (<c>FEDMESH_CACHE_DIR</c>; pretrained once here so the daemons do not race to pretrain it), the SOTU corpus
/// split by era, and a shared held-out set.
/// </summary>
public sealed class DaemonLab : IDisposable
{
    /// <summary>Pretraining steps of the test base: enough to be a real (poor) language model, a few seconds.</summary>
    public const int PretrainSteps = 60;

    /// <summary>Documents per node, cut from its era's addresses: ten, so the 10 % holdout split keeps one.</summary>
    private const int DocumentsPerNode = 10;

    /// <summary>
    /// Characters per document: small, because every round evaluates the node's held-out document up to three
    /// times (bpc, gate before/after); whole addresses (~90 k chars) made a round take ~30 s on a loaded machine.
    /// </summary>
    private const int DocumentChars = 3000;

    /// <summary>Characters of each shared held-out address evaluated (keeps evaluation to a fraction of a second).</summary>
    private const int HeldOutChars = 4000;

    /// <summary>Era partitions built for up to this many nodes.</summary>
    private const int MaxNodes = 4;

    private readonly SotuPartition _partition;

    /// <summary>How long a test waits for a daemon: starting one loads TorchSharp, and 2 cores are shared.</summary>
    public static TimeSpan Patience { get; } = TimeSpan.FromSeconds(90);

    public DaemonLab()
    {
        Root = Directory.CreateTempSubdirectory("fedmesh-integ-").FullName;
        CacheDir = Path.Combine(Root, "cache");
        Base = BaseModelCache.GetOrCreate(PretrainOptions.Default with { Model = ModelOptions.Default, Steps = PretrainSteps }, CacheDir);
        _partition = SotuPartition.Create(SotuCorpus.ReadShipped(), MaxNodes, SotuSplitOptions.Default);
        HeldOut = _partition.Holdout.Take(3).Select(a => a.Text.Length > HeldOutChars ? a.Text[..HeldOutChars] : a.Text).ToArray();
    }

    public string Root { get; }

    public string CacheDir { get; }

    public BaseModel Base { get; }

    public IReadOnlyList<string> HeldOut { get; }

    /// <summary>Settings small enough for a 2-core machine; <paramref name="extra"/> wins.</summary>
    public Daemon Node(string test, int index, long maxRounds, IReadOnlyDictionary<string, object>? extra = null, string? attack = null)
    {
        string data = Path.Combine(Root, test, $"n{index}", "data");
        Directory.CreateDirectory(data);
        IEnumerable<string> pieces = _partition.Shards[index % MaxNodes].Addresses
            .SelectMany(a => a.Text.Chunk(DocumentChars).Select(c => new string(c)))
            .Take(DocumentsPerNode);
        int n = 0;
        foreach (string piece in pieces)
        {
            File.WriteAllText(Path.Combine(data, $"doc{n++}.txt"), piece);
        }

        var overrides = new Dictionary<string, object>
        {
            ["node.seed"] = (long)index + 1,
            ["network.mesh_id"] = test,
            ["data.folder"] = data,
            ["learning.pretrain_steps"] = PretrainSteps,
            ["learning.threads"] = 1,
            ["gossip.period_seconds"] = 2.0,
            ["gossip.local_steps"] = 8,
            ["gossip.max_rounds"] = maxRounds,
            ["privacy.level"] = "off",
        };
        foreach ((string key, object value) in extra ?? new Dictionary<string, object>())
        {
            overrides[key] = value;
        }

        var environment = new Dictionary<string, string> { [BaseModelCache.DirectoryVariable] = CacheDir };
        // An attacker is the real daemon run by the test kit's attack host (the fedmesh program has no attack path).
        IReadOnlyList<string>? program = attack is null ? null : [.. FedmeshExecutable.Command("fedmesh-attack"), TestAttackSwitch.Option, attack];
        return new Daemon(Path.Combine(Root, test), $"n{index}", overrides, environment, program);
    }

    /// <summary>Bits per byte of an exported adapter (state/adapter) on the shared held-out set.</summary>
    public double HeldOutBpc(Daemon node) => Evaluate(node, zero: false);

    /// <summary>Bits per byte of the base model (zero adapter) on the shared held-out set.</summary>
    public double BaseBpc(Daemon node) => Evaluate(node, zero: true);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A daemon killed a moment ago may still release a file; the temp folder is cleaned by the OS later.
        }
    }

    private double Evaluate(Daemon node, bool zero)
    {
        AdapterCheckpoint adapter = AdapterCheckpoint.Load(NodeFactory.ExportDirectory(node.Paths));
        using var learner = new TorchLearner(Base, adapter.Lora, TrainerOptions.Default with { Threads = 1, Seed = 1 }, HeldOut);
        return learner.Evaluate(HeldOut, zero ? new float[adapter.Adapter.Length] : adapter.Adapter).BitsPerByte;
    }
}
