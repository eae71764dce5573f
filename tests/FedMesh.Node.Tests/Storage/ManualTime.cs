namespace FedMesh.Node.Tests.Storage;

/// <summary>A clock that only moves when told to, so timestamps in tests are exact.</summary>
internal sealed class ManualTime(DateTimeOffset now) : TimeProvider
{
    private DateTimeOffset _now = now;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
