using FedMesh.Node.Configuration;
using FedMesh.Node.Learning;

namespace FedMesh.Node.Tests.Learning;

/// <summary>learning.base: "builtin", a `fedmesh pretrain --out` checkpoint, or a model folder; bad values named.</summary>
[Collection(LearningCollection.Name)]
public sealed class LearningBaseTests(LearningFixture fixture) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fedmesh-base-").FullName;

    [Fact]
    public void A_checkpoint_written_by_pretrain_is_used_as_it_is_and_nothing_is_pretrained()
    {
        string path = Path.Combine(_dir, "base.safetensors");
        fixture.Base.Save(path);

        using LearningBase loaded = LearningBase.Resolve(path, 128, () => throw new InvalidOperationException("must not pretrain"));

        Assert.Equal(fixture.Base.HashHex, loaded.HashHex);
        Assert.Equal(LearningFixture.TinyModel.Context, loaded.Context);
    }

    [Fact]
    public void Builtin_asks_for_the_cached_model()
    {
        using LearningBase loaded = LearningBase.Resolve(LearningBase.Builtin, 128, () => fixture.Base);
        Assert.Same(fixture.Base, loaded.Bytes);
    }

    [Fact]
    public void A_folder_without_config_json_or_a_missing_path_is_named()
    {
        var folder = Assert.Throws<InvalidDataException>(() => LearningBase.Resolve(_dir, 128, () => fixture.Base));
        Assert.Contains("has no config.json", folder.Message, StringComparison.Ordinal);
        var missing = Assert.Throws<FileNotFoundException>(() => LearningBase.Resolve(Path.Combine(_dir, "nope"), 128, () => fixture.Base));
        Assert.Contains("no such folder or file", missing.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("builtin", true)]
    [InlineData("/srv/models/gpt2", true)]
    [InlineData("models/gpt2", false)]
    public void The_config_key_takes_builtin_or_an_absolute_path(string value, bool valid)
    {
        ConfigKey key = ConfigKeys.Find("learning.base")!;
        Assert.Equal(valid, key.Check(value) is null);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
