namespace FedMesh.Node.Membership;

/// <summary>Reconnect scheduling for <see cref="ReconnectScheduler"/>.</summary>
public sealed record ReconnectOptions
{
    public static readonly ReconnectOptions Default = new();

    /// <summary>First retry delay: 1 s lets a restarting peer come back without a visible gap.</summary>
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest wait between attempts: 5 min keeps a long-gone peer cheap yet finds it again within minutes.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Decorrelated jitter (default) or full jitter; both from Brooker 2015, decorrelated had the lower completion time in his simulation.</summary>
    public bool Decorrelated { get; init; } = true;
}
