using System.Text;
using FedMesh.NetSim.Lab;

namespace FedMesh.NetSim.Tests.Lab;

public sealed class LabStateStoreTests : TempDirectoryTest
{
    [Fact]
    public void A_saved_state_loads_back_equal_including_faults()
    {
        var store = new LabStateStore(Root);
        LabState state = LabStates.Of("x", 3, store.LabDirectory("x"))
            .WithFaults(1, new LabNodeFaults { PartitionGroup = 1, LossPercent = 20, RateBitsPerSecond = 1_000_000, Killed = true });
        state = state.With(state.Nodes[2] with { Pid = 1234, Argv = ["a", "b c"], NamespaceCreated = true }) with { HubCreated = true };

        store.Save(state);
        LabState loaded = store.Load("x");

        Assert.Equal(state.Nodes[1].Faults, loaded.Nodes[1].Faults);
        Assert.Equal(1234, loaded.Nodes[2].Pid);
        Assert.Equal(["a", "b c"], loaded.Nodes[2].Argv);
        Assert.True(loaded.HubCreated);
        Assert.Equal(state.Command, loaded.Command);
        Assert.Empty(Directory.GetFiles(store.LabDirectory("x"), "*.tmp"));
    }

    [Fact]
    public void A_missing_lab_says_it_is_not_up()
    {
        var store = new LabStateStore(Root);
        Assert.Null(store.TryLoad("nolab"));
        LabException error = Assert.Throws<LabException>(() => store.Load("nolab"));
        Assert.Contains("lab 'nolab' is not up", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("null")]
    [InlineData("{\"name\":\"other\",\"directory\":\"/d\",\"hub_namespace\":\"fmlother-hub\",\"command\":[\"a\"]}")]
    [InlineData("{\"name\":\"x\",\"directory\":\"/d\",\"hub_namespace\":\"fmlx-hub\",\"command\":[\"a\"],\"nodes\":[{\"index\":5,\"namespace\":\"fmlx-n5\",\"address\":\"a\",\"port\":1,\"config_path\":\"c\",\"log_path\":\"l\"}]}")]
    [InlineData("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]")]
    public void Damaged_or_foreign_state_files_give_a_clear_error_naming_the_file(string json)
    {
        var store = new LabStateStore(Root);
        Directory.CreateDirectory(store.LabDirectory("x"));
        File.WriteAllText(store.StatePath("x"), json);
        LabException error = Assert.Throws<LabException>(() => store.Load("x"));
        Assert.Contains(store.StatePath("x"), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_oversized_state_file_is_refused_before_it_is_read()
    {
        var store = new LabStateStore(Root);
        Directory.CreateDirectory(store.LabDirectory("x"));
        File.WriteAllBytes(store.StatePath("x"), Encoding.ASCII.GetBytes(new string(' ', LabStateStore.MaxStateBytes + 1)));
        LabException error = Assert.Throws<LabException>(() => store.Load("x"));
        Assert.Contains("at most", error.Message, StringComparison.Ordinal);
    }
}
