using System.CommandLine;
using FedMesh.NetSim.Lab.Cli;

namespace FedMesh.NetSim.Tests.Lab;

public sealed class LabCommandTests : TempDirectoryTest
{
    [Fact]
    public async Task An_invalid_lab_name_fails_with_exit_code_1_and_says_what_is_wrong()
    {
        (int code, _, string error) = await RunAsync("lab", "status", "--lab", "Bad-Name", "--state-dir", Path.GetTempPath());
        Assert.Equal(LabCommand.ExitFailed, code);
        Assert.Contains("lab name 'Bad-Name' is invalid", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("3601")]
    public async Task A_startup_grace_out_of_range_is_refused_before_anything_is_made(string seconds)
    {
        (int code, _, string error) = await RunAsync("lab", "up", "--lab", "nolab", "--state-dir", Root, "--nodes", "1", "--startup-grace", seconds);
        Assert.NotEqual(0, code);
        Assert.Contains("--startup-grace must be in (0, 3600] seconds", error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(Root, "nolab")));
    }

    [Fact]
    public async Task Status_of_a_lab_that_is_not_up_fails_with_a_hint_to_start_it()
    {
        (int code, _, string error) = await RunAsync("lab", "status", "--lab", "nolab", "--state-dir", Root);
        Assert.Equal(LabCommand.ExitFailed, code);
        Assert.Contains("lab 'nolab' is not up", error, StringComparison.Ordinal);
    }

    [LabFact]
    public async Task The_cli_brings_a_lab_up_injects_faults_reports_status_and_takes_it_down()
    {
        string root = TestLab.CreateRoot();
        string name = TestLab.UniqueName();
        string[] common = ["--lab", name, "--state-dir", root];
        try
        {
            (int up, string upOutput, string upError) = await RunAsync(["lab", "up", .. common, "--nodes", "2", "--base-port", "7700", "--command", TestLab.SinkCommand(root)]);
            Assert.True(up == 0, upError);
            Assert.Contains($"lab '{name}' is up: 2 nodes", upOutput, StringComparison.Ordinal);

            Assert.Equal(0, (await RunAsync(["lab", "fault", .. common, "partition", "--groups", "0:1"])).Code);
            Assert.Equal(0, (await RunAsync(["lab", "fault", .. common, "loss", "--node", "1", "--percent", "25"])).Code);
            (int delay, string delayOutput, string delayError) = await RunAsync(["lab", "fault", .. common, "delay", "--node", "0", "--ms", "10"]);
            Assert.Equal(0, delay);
            Assert.True(delayError.Contains("warning: this kernel has no sch_netem", StringComparison.Ordinal) || delayOutput.Contains("10 ms delay", StringComparison.Ordinal));

            (int status, string statusOutput, _) = await RunAsync(["lab", "status", .. common]);
            Assert.Equal(0, status);
            Assert.Contains($"fml{name}-n1", statusOutput, StringComparison.Ordinal);
            Assert.Contains("partition group 1, loss 25%", statusOutput, StringComparison.Ordinal);
            Assert.Contains(":7701", statusOutput, StringComparison.Ordinal);

            (int bad, _, string badError) = await RunAsync(["lab", "fault", .. common, "kill", "--node", "5"]);
            Assert.Equal(LabCommand.ExitFailed, bad);
            Assert.Contains("there is no node 5", badError, StringComparison.Ordinal);

            Assert.Equal(0, (await RunAsync(["lab", "heal", .. common])).Code);
            Assert.Equal(0, (await RunAsync(["lab", "down", .. common])).Code);
            Assert.Empty(TestLab.Namespaces(name));
            (int again, string againOutput, _) = await RunAsync(["lab", "down", .. common]);
            Assert.Equal(0, again);
            Assert.Contains("was not up", againOutput, StringComparison.Ordinal);
        }
        finally
        {
            await RunAsync(["lab", "down", .. common]);
            Directory.Delete(root, recursive: true);
        }
    }

    private static async Task<(int Code, string Output, string Error)> RunAsync(params string[] args)
    {
        var root = new RootCommand { LabCommand.Create() };
        using var output = new StringWriter();
        using var error = new StringWriter();
        int code = await root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
        return (code, output.ToString(), error.ToString());
    }
}
