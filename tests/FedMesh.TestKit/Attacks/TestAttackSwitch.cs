using System.Globalization;

namespace FedMesh.Node.Attacks;

/// <summary>
/// TEST-ONLY fault injection for end-to-end tests of the real daemon: the test kit's attack host
/// (<c>fedmesh-attack --attack SPEC run …</c>, tests/FedMesh.AttackHost) runs the real runtime with this release
/// transform installed through <see cref="Hosting.NodeHooks"/>, so the node publishes attacked adapter states
/// (<see cref="AttackLibrary"/>) while it keeps learning honestly and tests can check that honest nodes down-weight
/// it. The <c>fedmesh</c> program has no such code path; the node logs a warning at start whenever a hook is active.
/// Values: <c>sign_flip</c> (−x) or <c>scaling[:λ]</c> (λ·x, λ defaults to <see cref="AttackOptions.ScalingFactor"/>).
/// </summary>
public static class TestAttackSwitch
{
    /// <summary>The attack host's option naming the attack (errors name it).</summary>
    public const string Option = "--attack";

    /// <summary>The release transform named by <paramref name="value"/>; null when empty.</summary>
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
            throw new ArgumentException($"{Option}: {error}");
        }

        float factor = AttackOptions.Default.ScalingFactor;
        if (parts.Length == 2 && !(float.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out factor) && float.IsFinite(factor)))
        {
            throw new ArgumentException($"{Option}: \"{parts[1]}\" is not a finite number");
        }

        return kind switch
        {
            AttackKind.SignFlip => state => AttackLibrary.SignFlip(state, parts.Length == 2 ? factor : AttackOptions.Default.SignFlipScale),
            AttackKind.Scaling => state => AttackLibrary.Scaling(state, factor),
            // The other attacks need the honest peers' states or history; the daemon only has its own.
            _ => throw new ArgumentException($"{Option}: only sign_flip and scaling can be injected into a daemon, got \"{parts[0]}\""),
        };
    }
}
