using System.Reflection;
using System.Runtime.InteropServices;

namespace FedMesh.Node.Metrics;

/// <summary>
/// What build is running, for <c>fedmesh_build_info</c> and the dashboard's version panel: the version and commit come
/// from the assembly's informational version, which the .NET SDK writes as "1.2.3+&lt;git sha&gt;" when it builds
/// from a git checkout (SourceLink's SourceRevisionId); a build outside git has no "+", so its commit is "unknown".
/// </summary>
public static class BuildInfo
{
    /// <summary>The commit label of a build made outside a git checkout.</summary>
    public const string UnknownCommit = "unknown";

    /// <summary>Short commit ids are what operators compare with `git log --oneline`: 12 hex digits never collide in
    /// a repository of this size and keep the label readable.</summary>
    private const int ShortCommitLength = 12;

    /// <summary>This process's build.</summary>
    public static (string Version, string Commit, string Runtime) Current { get; } = Parse(
        typeof(BuildInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion,
        RuntimeInformation.FrameworkDescription);

    /// <summary>Splits "version+commit"; a missing or empty part becomes "0.0.0" or <see cref="UnknownCommit"/>.</summary>
    public static (string Version, string Commit, string Runtime) Parse(string? informationalVersion, string runtime)
    {
        string text = informationalVersion?.Trim() ?? string.Empty;
        int plus = text.IndexOf('+', StringComparison.Ordinal);
        string version = plus >= 0 ? text[..plus] : text;
        string commit = plus >= 0 ? text[(plus + 1)..] : string.Empty;
        if (commit.Length > ShortCommitLength && commit.All(char.IsAsciiHexDigit))
        {
            commit = commit[..ShortCommitLength];
        }

        return (version.Length > 0 ? version : "0.0.0", commit.Length > 0 ? commit : UnknownCommit, runtime);
    }
}
