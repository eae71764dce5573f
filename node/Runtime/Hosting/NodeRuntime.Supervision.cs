namespace FedMesh.Node.Hosting;

/// <summary>
/// Supervision of the node's long-running loops (actor, accept, dial, tick, peer book, round, mDNS): see
/// <see cref="Internal.LoopSupervisor"/>. An escaped fault is logged with its loop and reason and the whole node
/// stops: the host exits non-zero (<see cref="FaultExitCode"/>) and a supervisor (systemd's
/// <c>Restart=on-failure</c>) restarts it from its checkpoint.
/// </summary>
public sealed partial class NodeRuntime
{
    /// <summary>Exit code of a node stopped by a fault: 70 is EX_SOFTWARE of sysexits.h ("internal software error"),
    /// distinct from configuration (2) and start-up (1) failures, and never a signal.</summary>
    public const int FaultExitCode = 70;

    /// <summary>Why the node stopped by itself on a fault, or null (running, or stopped normally).</summary>
    public NodeFault? Fault => _supervisor.Fault;

    /// <summary>Liveness and readiness for the admin endpoint's /healthz and /readyz.</summary>
    public NodeHealth GetHealth() => new(
        _loopsStarted,
        _connections.LocalEndPoint is not null,
        _parts.Rounds is null || _parts.Learner is not null,
        Volatile.Read(ref _stopping) is not null,
        Fault is { } fault ? $"{fault.Loop} loop: {fault.Exception.Message}" : null);

    /// <summary>True while <see cref="GetHealth"/> says ready (fedmesh_ready).</summary>
    public bool IsReady => GetHealth().Ready;
}

/// <summary>A loop of the node failed: which one and with what.</summary>
public sealed record NodeFault(string Loop, Exception Exception)
{
    public override string ToString() => $"{Loop} loop failed: {Exception.GetType().Name}: {Exception.Message}";
}
