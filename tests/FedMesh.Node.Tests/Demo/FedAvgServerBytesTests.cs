using FedMesh.Node.Demo;

namespace FedMesh.Node.Tests.Demo;

public class FedAvgServerBytesTests
{
    [Fact]
    public void A_FedAvg_server_receives_and_sends_every_nodes_fp32_state_each_round()
    {
        // The demo: 4 nodes, 15 rounds, 36,864 adapter values = 147,456 fp32 bytes per state.
        Assert.Equal(2L * 4 * 15 * 147_456, DemoRunner.FedAvgServerBytes(4, 15, 36_864));
        Assert.Equal(0, DemoRunner.FedAvgServerBytes(4, 0, 36_864));
    }
}
