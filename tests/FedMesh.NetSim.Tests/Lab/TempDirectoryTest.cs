namespace FedMesh.NetSim.Tests.Lab;

/// <summary>Base of tests that need a fresh directory under /tmp; xunit creates one instance per test, so one directory each.</summary>
public abstract class TempDirectoryTest : IDisposable
{
    protected string Root { get; } = Path.Combine(Path.GetTempPath(), $"fedmesh-lab-test-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(Root))
        {
            Directory.Delete(Root, recursive: true);
        }

        GC.SuppressFinalize(this);
    }
}
