using FedMesh.NetSim.Lab;

namespace FedMesh.NetSim.Tests.Lab;

public class CommandTemplateTests
{
    private static readonly LabNode Node = new()
    {
        Index = 2,
        Namespace = "fmlx-n2",
        Address = "10.200.1.3",
        Port = 7463,
        ConfigPath = "/run/fedmesh-lab/x/node2/fedmesh.toml",
        LogPath = "/run/fedmesh-lab/x/node2/node.log",
    };

    [Fact]
    public void Whitespace_splits_and_quotes_group_without_any_other_shell_syntax()
    {
        Assert.Equal(
            ["/usr/bin/python3", "-c", "print('a b')", "$HOME;", "x y", "", "z"],
            CommandTemplate.Parse("  /usr/bin/python3 -c \"print('a b')\" $HOME;  'x y' '' z "));
    }

    [Fact]
    public void Placeholders_are_filled_per_argument_so_values_never_split_into_new_arguments()
    {
        IReadOnlyList<string> argv = CommandTemplate.Parse("run --config {config} --at {address}:{port} --n={index} {lab}");
        Assert.Equal(
            ["run", "--config", "/run/fedmesh-lab/x/node2/fedmesh.toml", "--at", "10.200.1.3:7463", "--n=2", "x"],
            CommandTemplate.Fill(argv, "x", Node));
        Assert.Equal(["a b;c"], CommandTemplate.Fill(["{lab}"], "a b;c", Node));
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("   ", "empty")]
    [InlineData("run {nodes}", "{nodes}")]
    [InlineData("run 'unclosed", "unclosed")]
    public void Bad_templates_are_rejected_with_a_clear_reason(string template, string expected)
    {
        LabException error = Assert.Throws<LabException>(() => CommandTemplate.Parse(template));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Oversized_templates_are_rejected_before_parsing()
    {
        Assert.Throws<LabException>(() => CommandTemplate.Parse(new string('a', CommandTemplate.MaxLength + 1)));
        Assert.Throws<LabException>(() => CommandTemplate.Parse(string.Join(' ', Enumerable.Repeat("a", CommandTemplate.MaxArguments + 1))));
    }
}
