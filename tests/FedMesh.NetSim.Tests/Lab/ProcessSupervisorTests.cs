using FedMesh.NetSim.Lab.Internal;

namespace FedMesh.NetSim.Tests.Lab;

public class ProcessSupervisorTests
{
    [Theory]
    [InlineData("1234 (sh) S 1 1234", 'S')]
    [InlineData("1234 (my (odd) name) Z 1 1234", 'Z')]
    [InlineData("1234 (x) R", 'R')]
    [InlineData("garbage", '\0')]
    public void The_state_letter_is_read_after_the_last_parenthesis(string stat, char state) =>
        Assert.Equal(state, ProcessSupervisor.ParseState(stat));

    [Fact]
    public void This_process_is_alive_and_a_pid_beyond_the_kernel_limit_is_not()
    {
        Assert.True(ProcessSupervisor.IsAlive(Environment.ProcessId));
        Assert.False(ProcessSupervisor.IsAlive(int.MaxValue));
    }
}
