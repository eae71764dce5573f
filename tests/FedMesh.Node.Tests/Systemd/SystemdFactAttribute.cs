namespace FedMesh.Node.Tests.Systemd;

/// <summary>A fact that is skipped, with a message saying how to get it run, when systemd-analyze is not installed.</summary>
public sealed class SystemdFactAttribute : FactAttribute
{
    public SystemdFactAttribute()
    {
        if (SystemdAnalyze.Path is null)
        {
            Skip = "systemd-analyze not found on PATH; install the Debian package 'systemd' (tests/run.sh does so as root)";
        }
    }
}
