namespace FedMesh.Node.Tests.Systemd;

/// <summary>Runs systemd-analyze and the repository's unit files.</summary>
internal static class SystemdAnalyze
{
    public static readonly string? Path = ExternalTools.Find("systemd-analyze");

    /// <summary>The repository's systemd/ folder.</summary>
    public static string UnitFolder() => System.IO.Path.Combine(ExternalTools.RepositoryRoot(), "systemd");

    // Plain text: no colours, no pager, no emoji in the summary line.
    public static (int Exit, string Output) Run(params string[] args) => ExternalTools.Run(
        Path!, args, new Dictionary<string, string> { ["SYSTEMD_COLORS"] = "0", ["SYSTEMD_PAGER"] = "cat", ["SYSTEMD_EMOJI"] = "0" });
}
