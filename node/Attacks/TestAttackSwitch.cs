using System.Globalization;

namespace FedMesh.Node.Attacks;

/// <summary>
/// TEST-ONLY fault injection for end-to-end tests of the real daemon: when the environment variable
/// <c>FEDMESH_TEST_ATTACK</c> is set, <see cref="Hosting.NodeFactory"/> makes the node publish attacked adapter
/// states (<see cref="AttackLibrary"/>) while it keeps learning honestly, so tests can check that honest nodes
/// down-weight it. It is deliberately not a configuration key (nobody should find it in <c>fedmesh.toml</c>); the
/// daemon logs a warning at start whenever it is active. Values: <c>sign_flip</c> (−x) or <c>scaling[:λ]</c>
/// (λ·x, λ defaults to <see cref="AttackOptions.ScalingFactor"/>).
/// </summary>
public static class TestAttackSwitch
{
    public const string Variable = "FEDMESH_TEST_ATTACK";

    /// <summary>The release transform named by <paramref name="value"/>; null when unset or empty.</summary>
    /// <exception cref="ArgumentException">The value names no supported attack or has a bad factor.</exception>
    public static Func<float[], float[]>? Parse(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        string[] parts = value.Trim().Split(':', 2);
        if (!AttackKindNames.TryParse(parts[0], out AttackKind kind, out string error))
        {
            throw new ArgumentException($"{Variable}: {error}");
        }

        float factor = AttackOptions.Default.ScalingFactor;
        if (parts.Length == 2 && !(float.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out factor) && float.IsFinite(factor)))
        {
            throw new ArgumentException($"{Variable}: \"{parts[1]}\" is not a finite number");
        }

        return kind switch
        {
            AttackKind.SignFlip => state => AttackLibrary.SignFlip(state, parts.Length == 2 ? factor : AttackOptions.Default.SignFlipScale),
            AttackKind.Scaling => state => AttackLibrary.Scaling(state, factor),
            // The other attacks need the honest peers' states or history; the daemon only has its own.
            _ => throw new ArgumentException($"{Variable}: only sign_flip and scaling can be injected into a daemon, got \"{parts[0]}\""),
        };
    }
}
