namespace FedMesh.NetSim.Lab;

/// <summary>What <c>netsim lab up</c> asks for.</summary>
public sealed record LabUpRequest
{
    /// <summary>"default": the name used when --lab is not given.</summary>
    public const string DefaultName = "default";

    public string Name { get; init; } = DefaultName;

    public required int Nodes { get; init; }

    /// <summary>Command template; null runs the <c>fedmesh</c> binary next to netsim (<c>fedmesh run --config {config}</c>).</summary>
    public string? Command { get; init; }

    /// <summary>Port of node 0 (node i gets BasePort + i); null takes <see cref="LabOptions.BasePort"/>.</summary>
    public int? BasePort { get; init; }

    /// <summary>How long after starting the nodes <c>up</c> checks that each still runs; null takes
    /// <see cref="LabOptions.StartupGrace"/>. Longer for a command that takes a while to fail (it must still be up when
    /// checked), and in tests that signal <c>up</c> inside that wait.</summary>
    public TimeSpan? StartupGrace { get; init; }
}
