namespace FedMesh.NetSim.Tests.Lab;

/// <summary>
/// A fact that needs root, iproute2 (<c>ip</c>, <c>tc</c>), nftables (<c>nft</c>) and /usr/bin/python3 (the
/// nodes' stand-in program). xunit 2 has no dynamic skip, so the prerequisites are checked when the attribute is
/// built and a missing one becomes the skip reason shown in the test output.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class LabFactAttribute : FactAttribute
{
    public LabFactAttribute() => Skip = LabPrerequisites.SkipReason;
}

/// <summary>The theory form of <see cref="LabFactAttribute"/>.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class LabTheoryAttribute : TheoryAttribute
{
    public LabTheoryAttribute() => Skip = LabPrerequisites.SkipReason;
}

internal static class LabPrerequisites
{
    /// <summary>What is missing to run lab tests, or null when everything is there.</summary>
    public static readonly string? Missing = Find();

    /// <summary>The skip reason shown by the test runner, or null to run.</summary>
    public static string? SkipReason =>
        Missing is null ? null : $"namespace lab test skipped: {Missing} (tests/run.sh installs iproute2 and nftables as root)";

    private static string? Find()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "network namespaces need Linux";
        }

        if (!Environment.IsPrivilegedProcess)
        {
            return "not running as root";
        }

        foreach (string tool in new[] { "ip", "tc", "nft" })
        {
            if (!OnPath(tool))
            {
                return $"`{tool}` is not installed";
            }
        }

        return File.Exists(LabProbe.Python) ? null : $"{LabProbe.Python} is missing";
    }

    private static bool OnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin")
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Append("/usr/sbin").Append("/sbin")
            .Any(dir => File.Exists(Path.Combine(dir, tool)));
}
