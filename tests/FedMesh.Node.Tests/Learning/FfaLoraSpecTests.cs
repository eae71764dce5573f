using FedMesh.Node.Configuration;
using FedMesh.Node.Hosting;
using FedMesh.Node.Learning;
using FedMesh.Protocol.Deltas;
using FedMesh.Protocol.Identity;
using FedMesh.Protocol.Tests;

namespace FedMesh.Node.Tests.Learning;

/// <summary>SPEC.md's ffa-lora vector: the frozen A's seed from the mesh id and an FFA schema of B tensors only.</summary>
public sealed class FfaLoraSpecTests
{
    [Fact]
    public void Frozen_A_seed_and_B_only_schema_match_the_spec_vector()
    {
        string mesh = SpecVectors.Text("ffa-lora", "mesh_name_text");
        Assert.Equal(SpecVectors.Bytes("ffa-lora", "mesh_id"), MeshId.FromName(mesh));
        Assert.Equal(Convert.ToInt32(SpecVectors.Text("ffa-lora", "seed"), 16), NodeFactory.FrozenASeed(mesh));
        Assert.NotEqual(NodeFactory.FrozenASeed(mesh), NodeFactory.FrozenASeed(mesh + "-other"));

        var schema = new AdapterSchema([new TensorInfo("layers.0.attn.q.lora_b", [128, 8])]);
        Assert.Equal(SpecVectors.Text("ffa-lora", "schema_hash"), schema.HashHex);
    }

    [Fact]
    public void Learning_lora_frozen_a_freezes_A_and_seeds_it_from_the_mesh_id()
    {
        (LoraOptions lora, TrainerOptions trainer) = NodeFactory.LearnerOptions(LearningSection.Default with { LoraFrozenA = true }, "demo");
        Assert.True(lora.FreezeA);
        Assert.Equal(NodeFactory.FrozenASeed("demo"), trainer.Seed);
        (LoraOptions plain, TrainerOptions plainTrainer) = NodeFactory.LearnerOptions(LearningSection.Default, "demo");
        Assert.False(plain.FreezeA);
        Assert.Equal(1, plainTrainer.Seed);
    }
}
