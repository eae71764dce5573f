using FedMesh.NetSim.Lab;
using FedMesh.NetSim.Lab.Internal;
using Microsoft.Extensions.Logging.Abstractions;

namespace FedMesh.NetSim.Tests.Lab;

public class CommandRunnerTests
{
    private static readonly CommandRunner Runner = new(TimeSpan.FromSeconds(10), NullLogger.Instance);

    [Fact]
    public async Task A_failing_command_is_reported_with_its_command_line_exit_code_and_stderr()
    {
        LabException error = await Assert.ThrowsAsync<LabException>(() =>
            Runner.CheckedAsync("/bin/sh", ["-c", "echo 'no such device' >&2; exit 3", "arg with space"]));
        Assert.Contains("`/bin/sh -c 'echo 'no such device' >&2; exit 3' 'arg with space'` failed with exit code 3: no such device", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Input_reaches_the_command_and_output_comes_back()
    {
        CommandResult result = await Runner.CheckedAsync("/bin/cat", [], "table inet x\n");
        Assert.Equal("table inet x\n", result.StandardOutput);
    }

    [Fact]
    public async Task A_missing_program_says_which_one_and_what_to_install()
    {
        LabException error = await Assert.ThrowsAsync<LabException>(() => Runner.RunAsync("/nonexistent/ip", ["netns", "list"]));
        Assert.Contains("cannot run `/nonexistent/ip netns list`", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_hung_command_is_killed_at_the_time_limit()
    {
        var runner = new CommandRunner(TimeSpan.FromMilliseconds(200), NullLogger.Instance);
        LabException error = await Assert.ThrowsAsync<LabException>(() => runner.RunAsync("/bin/sleep", ["30"]));
        Assert.Contains("did not finish within 0.2 s", error.Message, StringComparison.Ordinal);
    }
}
