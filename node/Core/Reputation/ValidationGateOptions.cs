namespace FedMesh.Node.Reputation;

/// <summary>
/// When a merged candidate adapter may replace the current one. The candidate is adopted if
/// candidateLoss ≤ currentLoss + max(<see cref="AbsoluteMargin"/>, <see cref="RelativeMargin"/> · |currentLoss|):
/// it may be slightly worse on the local held-out split (a merge that helps the federation can cost a little
/// locally, and the held-out estimate is noisy), but not by more than the larger margin.
/// </summary>
public sealed record ValidationGateOptions
{
    /// <summary>Defaults; each value's reason is on its property.</summary>
    public static readonly ValidationGateOptions Default = new();

    /// <summary>
    /// Allowed worsening in loss units (nats per byte for the byte-level model). 0.01: the standard error of a
    /// mean per-byte loss over a held-out split of ~10⁴ bytes with per-byte std ~1 nat is ~0.01, so a smaller
    /// margin would reject good merges on sampling noise alone.
    /// </summary>
    public double AbsoluteMargin { get; init; } = 0.01;

    /// <summary>
    /// Allowed worsening relative to the current loss. 0.005 (0.5%): scales the slack for tasks whose loss is far
    /// from the ~1–3 nats/byte of the byte-level model, where a fixed absolute margin would be too loose or tight.
    /// </summary>
    public double RelativeMargin { get; init; } = 0.005;

    /// <summary>Checks every value; the message names the offending key and why.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (!(AbsoluteMargin >= 0) || !double.IsFinite(AbsoluteMargin))
        {
            errors.Add($"validation.absolute_margin must be a finite number >= 0, got {AbsoluteMargin}");
        }

        if (!(RelativeMargin is >= 0 and <= 1))
        {
            errors.Add($"validation.relative_margin must be in [0, 1], got {RelativeMargin}");
        }

        return errors;
    }

    /// <summary>Throws <see cref="ArgumentException"/> listing every invalid key.</summary>
    public ValidationGateOptions EnsureValid()
    {
        IReadOnlyList<string> errors = Validate();
        return errors.Count == 0 ? this : throw new ArgumentException(string.Join("; ", errors));
    }
}
