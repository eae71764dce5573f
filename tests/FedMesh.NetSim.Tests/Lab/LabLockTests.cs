using FedMesh.NetSim.Lab;
using FedMesh.NetSim.Lab.Internal;

namespace FedMesh.NetSim.Tests.Lab;

public sealed class LabLockTests : TempDirectoryTest
{
    [Fact]
    public async Task A_second_command_on_a_busy_lab_fails_clearly_instead_of_interleaving()
    {
        var lab = new NamespaceLab(LabOptions.Default with { StateRoot = Root });
        using (LabLock.Acquire(lab.Store, "busy"))
        {
            LabException error = await Assert.ThrowsAsync<LabException>(() => lab.HealAsync("busy"));
            Assert.Contains("another netsim lab command is working on lab 'busy'", error.Message, StringComparison.Ordinal);
        }

        LabException notUp = await Assert.ThrowsAsync<LabException>(() => lab.HealAsync("busy"));
        Assert.Contains("is not up", notUp.Message, StringComparison.Ordinal);
    }
}
