using System.Reflection;
using System.Text.Json;
using FedMesh.Node.Cli;

namespace FedMesh.Node.Tests.Cli;

/// <summary>
/// Issue 13: the <c>fedmesh</c> program ships the runtime and its CLI only. The demo (Spectre, ScottPlot/SkiaSharp), the
/// benchmarks and the test kit (attacks, surrogate learner) live in their own projects; these tests fail as soon as the
/// CLI project references one of them again, directly or through a package.
/// </summary>
public class CliDependencyTests
{
    private static readonly string[] Forbidden = ["ScottPlot", "SkiaSharp", "Spectre.Console", "FedMesh.TestKit", "fedmesh-demo", "fedmesh-bench", "fedmesh-attack"];

    /// <summary>
    /// The deps file's view: TorchSharp itself depends on SkiaSharp's managed core (for torchvision image I/O, with
    /// macOS/Windows natives only), so that package stays; ScottPlot's rendering stack (HarfBuzz, the Linux natives)
    /// and Spectre must not.
    /// </summary>
    private static readonly string[] ForbiddenLibraries = ["ScottPlot", "SkiaSharp.HarfBuzz", "HarfBuzzSharp", "SkiaSharp.NativeAssets.Linux", "Spectre.Console", "FedMesh.TestKit", "fedmesh-demo", "fedmesh-bench", "fedmesh-attack"];

    private static bool IsForbidden(string name) =>
        Forbidden.Any(f => name.StartsWith(f, StringComparison.OrdinalIgnoreCase));

    private static bool IsForbiddenLibrary(string name) =>
        ForbiddenLibraries.Any(f => name.StartsWith(f, StringComparison.OrdinalIgnoreCase));

    [Fact]
    public void The_fedmesh_assembly_and_everything_it_references_load_no_demo_bench_or_test_kit_assembly()
    {
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var pending = new Stack<Assembly>([typeof(CliRoot).Assembly]);
        while (pending.TryPop(out Assembly? assembly))
        {
            foreach (AssemblyName reference in assembly.GetReferencedAssemblies())
            {
                // Only our own assemblies are walked further: the framework's closure says nothing about the product.
                if (reference.Name is { } name && seen.Add(name) && name.StartsWith("FedMesh", StringComparison.OrdinalIgnoreCase))
                {
                    pending.Push(Assembly.Load(reference));
                }
            }
        }

        Assert.Contains("FedMesh.Node", seen);
        Assert.Contains("FedMesh.Learning", seen);
        Assert.DoesNotContain(seen, IsForbidden);
    }

    [Fact]
    public void The_fedmesh_deps_file_which_publish_follows_lists_no_demo_bench_or_test_kit_library()
    {
        // fedmesh.deps.json is copied next to the tests with fedmesh.dll; `dotnet publish node/Cli` ships what it lists.
        string deps = Path.Combine(AppContext.BaseDirectory, "fedmesh.deps.json");
        Assert.True(File.Exists(deps), $"{deps} is missing: the tests reference node/Cli");
        using JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(deps));
        string[] libraries = document.RootElement.GetProperty("libraries").EnumerateObject().Select(p => p.Name.Split('/')[0]).ToArray();

        Assert.Contains("TorchSharp", libraries);
        Assert.DoesNotContain(libraries, IsForbiddenLibrary);
    }
}
