namespace FedMesh.Node.Configuration;

/// <summary>The <c>[node]</c> section: who this node is and where it keeps its state.</summary>
public sealed record NodeSection
{
    public static readonly NodeSection Default = new();

    /// <summary>Human-readable name shown in logs and metrics; "node" because any fixed label is as good as another.</summary>
    public string Name { get; init; } = "node";

    /// <summary>State directory; /var/lib/fedmesh is what systemd's StateDirectory=fedmesh creates.</summary>
    public string StateDir { get; init; } = "/var/lib/fedmesh";

    /// <summary>
    /// Seed of the node's random source. 0 (default) means "seed from the OS entropy source": production nodes must
    /// not share a seed, because DP noise drawn from equal seeds cancels out when deltas are compared.
    /// Tests and netsim set a non-zero seed to make runs reproducible.
    /// </summary>
    public long Seed { get; init; }

    /// <summary>
    /// Console log format of <c>fedmesh run</c>: "simple" (one line per event, for a terminal and journald, which
    /// stamps lines itself), "json" (one JSON object per event with its event id and named values, for a log
    /// shipper) or "systemd" (syslog priority prefixes). The .NET setting <c>Logging:Console:FormatterName</c>
    /// (environment <c>Logging__Console__FormatterName</c>) wins over this key when set.
    /// </summary>
    public string LogFormat { get; init; } = "simple";

    /// <summary>The console formatters .NET ships (Microsoft.Extensions.Logging.Console.ConsoleFormatterNames).</summary>
    public static readonly IReadOnlyList<string> KnownLogFormats = ["simple", "json", "systemd"];
}
