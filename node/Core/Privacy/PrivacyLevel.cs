namespace FedMesh.Node.Privacy;

/// <summary>What a node's differential-privacy guarantee protects (<c>privacy.level</c>).</summary>
public enum PrivacyLevel
{
    /// <summary>No mechanism: updates leave the node as trained, nothing is charged.</summary>
    Off = 0,

    /// <summary>
    /// Record-level DP-SGD (the default): one record = one document of the data folder. Every local step is a
    /// Poisson-subsampled Gaussian mechanism (q = B/n, σ) charged before the round trains; the released adapter is
    /// post-processing of those steps and costs nothing more.
    /// </summary>
    Record = 1,

    /// <summary>
    /// Node-level local DP: each round's whole update is clipped to C and noised once (q = 1) before release, so
    /// the unit protected is the node's entire data set. Much stronger, and much noisier: it leaves little utility.
    /// </summary>
    Node = 2,
}

/// <summary>Names of <see cref="PrivacyLevel"/> as written in configuration, ledger, status and metrics.</summary>
public static class PrivacyLevels
{
    public const string Off = "off";
    public const string Record = "record";
    public const string Node = "node";

    public static readonly IReadOnlyList<string> Names = [Record, Node, Off];

    public static string Name(PrivacyLevel level) => level switch
    {
        PrivacyLevel.Record => Record,
        PrivacyLevel.Node => Node,
        _ => Off,
    };

    /// <summary>Parses a configuration value; null for an unknown name.</summary>
    public static PrivacyLevel? Parse(string? name) => name switch
    {
        Record => PrivacyLevel.Record,
        Node => PrivacyLevel.Node,
        Off => PrivacyLevel.Off,
        _ => null,
    };
}
