using System.Diagnostics;

namespace FedMesh.NetSim.Tests.Lab;

/// <summary><c>netsim lab up --wait</c> as a real process: a signal must take the lab down before it exits.</summary>
public class LabForegroundTests
{
    [LabTheory]
    [InlineData("TERM")]
    [InlineData("INT")]
    public async Task A_signal_to_up_wait_takes_the_lab_down_before_netsim_exits(string signal)
    {
        string root = TestLab.CreateRoot();
        string name = TestLab.UniqueName();
        var info = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "netsim"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in new[] { "lab", "up", "--wait", "--lab", name, "--state-dir", root, "--nodes", "2", "--command", TestLab.SinkCommand(root) })
        {
            info.ArgumentList.Add(argument);
        }

        using Process netsim = Process.Start(info)!;
        try
        {
            // Blocks until netsim says it waits (or exits): no timing guess involved.
            string? line;
            while ((line = await netsim.StandardOutput.ReadLineAsync()) is not null && !line.StartsWith("running in the foreground", StringComparison.Ordinal))
            {
            }

            Assert.NotNull(line);
            Assert.Equal(3, TestLab.Namespaces(name).Count);

            using (Process kill = Process.Start("kill", ["-" + signal, netsim.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }

            string rest = await netsim.StandardOutput.ReadToEndAsync();
            await netsim.WaitForExitAsync();
            Assert.Contains($"lab '{name}' is down", rest, StringComparison.Ordinal);
            Assert.Empty(TestLab.Namespaces(name));
        }
        finally
        {
            if (!netsim.HasExited)
            {
                netsim.Kill();
            }

            await new FedMesh.NetSim.Lab.NamespaceLab(TestLab.Options(root)).DownAsync(name);
            Directory.Delete(root, recursive: true);
        }
    }
}
