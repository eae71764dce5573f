using FedMesh.NetSim.Lab;
using FedMesh.Node.Configuration;

namespace FedMesh.NetSim.Tests.Lab;

public sealed class NodeConfigsTests : TempDirectoryTest
{
    [Fact]
    public void Each_node_config_listens_on_its_lab_address_seeds_the_others_and_keeps_state_in_the_lab()
    {
        LabState state = LabStates.Of("cfg", 3, Path.Combine(Root, "cfg"));

        NodeConfigs.WriteAll(state);

        for (int i = 0; i < 3; i++)
        {
            LabNode node = state.Nodes[i];
            NodeOptions options = ConfigLoader.Load(node.ConfigPath, new Dictionary<string, string>());
            Assert.Equal(node.Address, options.Network.ListenAddress);
            Assert.Equal(node.Port, options.Network.ListenPort);
            Assert.Equal(state.Nodes.Where(n => n.Index != i).Select(n => $"{n.Address}:{n.Port}"), options.Network.Seeds);
            Assert.True(options.Network.Mdns);
            Assert.Equal(Path.Combine(Root, "cfg", $"node{i}", "state"), options.Node.StateDir);
            Assert.Equal($"cfg-{i}", options.Node.Name);
        }
    }
}
