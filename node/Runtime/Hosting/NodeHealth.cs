namespace FedMesh.Node.Hosting;

/// <summary>
/// What the admin endpoint's <c>/healthz</c> (liveness) and <c>/readyz</c> (readiness) answer. Liveness asks "should a
/// supervisor restart this process?": only a node whose loop faulted says no. Readiness asks "is it doing its job?":
/// every check must hold. A container's HEALTHCHECK and a load balancer use the first, an operator's "is my node up
/// yet" the second.
/// </summary>
/// <param name="Started">The node's loops are running (<see cref="NodeRuntime.StartAsync"/> finished).</param>
/// <param name="Listening">The gossip listener is bound.</param>
/// <param name="ModelLoaded">The learner is loaded (or the node is a relay with no learner).</param>
/// <param name="Stopping">A stop has begun: the node no longer takes part in rounds.</param>
/// <param name="Fault">The supervised loop that faulted, and why; null when none did.</param>
public sealed record NodeHealth(bool Started, bool Listening, bool ModelLoaded, bool Stopping, string? Fault)
{
    /// <summary>Alive unless a loop faulted (the node then stops and exits non-zero by itself).</summary>
    public bool Live => Fault is null;

    public bool Ready => Live && Started && Listening && ModelLoaded && !Stopping;
}
