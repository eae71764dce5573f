using FedMesh.Node.Attacks;

namespace FedMesh.Node.Tests.Attacks;

public class TestAttackSwitchTests
{
    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  ")]
    public void An_unset_variable_leaves_releases_honest(string? value) => Assert.Null(TestAttackSwitch.Parse(value));

    [Fact]
    public void Sign_flip_negates_the_released_state() =>
        Assert.Equal([-1f, 2f, -0.5f], TestAttackSwitch.Parse("sign_flip")!([1f, -2f, 0.5f]));

    [Fact]
    public void Scaling_multiplies_by_the_given_factor_or_the_default()
    {
        Assert.Equal([3f, -6f], TestAttackSwitch.Parse("scaling:3")!([1f, -2f]));
        Assert.Equal([AttackOptions.Default.ScalingFactor], TestAttackSwitch.Parse("scaling")!([1f]));
    }

    [Theory]
    [InlineData("nonsense")]
    [InlineData("alie")]
    [InlineData("scaling:big")]
    [InlineData("scaling:NaN")]
    public void A_bad_value_names_the_variable(string value)
    {
        var error = Assert.Throws<ArgumentException>(() => TestAttackSwitch.Parse(value));
        Assert.Contains(TestAttackSwitch.Option, error.Message, StringComparison.Ordinal);
    }
}
