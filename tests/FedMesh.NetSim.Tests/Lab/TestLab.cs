using System.Globalization;
using FedMesh.NetSim.Lab;

namespace FedMesh.NetSim.Tests.Lab;

/// <summary>
/// A lab for one test: its own state root under /tmp, a name unique to this process and test (so parallel runs do
/// not collide), nodes running <see cref="LabProbe.SinkScript"/>; disposing takes it down even when the test failed.
/// </summary>
internal sealed class TestLab : IAsyncDisposable
{
    private static int s_counter;

    private TestLab(NamespaceLab lab, string name, string root)
    {
        Lab = lab;
        Name = name;
        Root = root;
    }

    public NamespaceLab Lab { get; }

    public string Name { get; }

    public string Root { get; }

    /// <summary>Fast settings: a short stop timeout (the sink exits on SIGTERM at once) and a short startup check.</summary>
    public static LabOptions Options(string root) => LabOptions.Default with
    {
        StateRoot = root,
        StopTimeout = TimeSpan.FromSeconds(2),
        StartupGrace = TimeSpan.FromMilliseconds(300),
    };

    /// <summary>A unique lab name: "t", the pid (5 digits) and a per-process counter, within the 12-character limit.</summary>
    public static string UniqueName() =>
        string.Create(CultureInfo.InvariantCulture, $"t{Environment.ProcessId % 100_000:D5}{Interlocked.Increment(ref s_counter)}");

    /// <summary>A fresh state root with the sink script in it.</summary>
    public static string CreateRoot()
    {
        string root = Path.Combine(Path.GetTempPath(), $"fedmesh-lab-test-{Guid.NewGuid():N}");
        Directory.CreateDirectory(root);
        File.WriteAllText(Path.Combine(root, "sink.py"), LabProbe.SinkScript);
        return root;
    }

    public static string SinkCommand(string root) => $"{LabProbe.Python} {Path.Combine(root, "sink.py")} {{address}} {{port}}";

    public static async Task<TestLab> UpAsync(int nodes)
    {
        string root = CreateRoot();
        var lab = new NamespaceLab(Options(root));
        var test = new TestLab(lab, UniqueName(), root);
        try
        {
            await lab.UpAsync(new LabUpRequest { Name = test.Name, Nodes = nodes, Command = SinkCommand(root), BasePort = 7600 });
        }
        catch
        {
            await test.DisposeAsync();
            throw;
        }

        return test;
    }

    public LabState State => Lab.Store.Load(Name);

    /// <summary>Whether one byte from node <paramref name="from"/> reaches node <paramref name="to"/>'s sink.</summary>
    public bool Reaches(int from, int to)
    {
        LabState state = State;
        return LabProbe.Reaches(state.Nodes[from].Namespace, state.Nodes[to].Address, state.Nodes[to].Port);
    }

    public bool EventuallyReaches(int from, int to)
    {
        LabState state = State;
        return LabProbe.EventuallyReaches(state.Nodes[from].Namespace, state.Nodes[to].Address, state.Nodes[to].Port);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Lab.DownAsync(Name);
        }
        finally
        {
            Directory.Delete(Root, recursive: true);
        }
    }

    /// <summary>Namespaces of lab <paramref name="name"/> that <c>ip netns list</c> shows now.</summary>
    public static IReadOnlyList<string> Namespaces(string name)
    {
        var info = new System.Diagnostics.ProcessStartInfo("ip", ["netns", "list"]) { RedirectStandardOutput = true, UseShellExecute = false };
        using var process = System.Diagnostics.Process.Start(info)!;
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' ')[0])
            .Where(n => n.StartsWith($"fml{name}-", StringComparison.Ordinal))
            .ToList();
    }
}
