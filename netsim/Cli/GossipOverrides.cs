using FedMesh.NetSim.Scenarios;
using FedMesh.Node.Gossip;

namespace FedMesh.NetSim.Cli;

/// <summary>The <c>--mode</c>/<c>--encoding</c>/<c>--density</c> overrides of <c>netsim run</c> and <c>netsim bench scale</c>:
/// the daemon's <c>gossip.mode</c>, <c>gossip.encoding</c> and <c>gossip.density</c>, checked by the node's own parsers.</summary>
internal static class GossipOverrides
{
    /// <summary>The scenario's gossip settings with the given names applied; throws <see cref="ArgumentException"/>
    /// naming the accepted values for an unknown name.</summary>
    public static GossipSpec Apply(GossipSpec spec, string? mode, string? encoding, double? density = null) => spec with
    {
        Mode = mode is { } m ? GossipModes.Parse(m) : spec.Mode,
        Encoding = encoding is { } e ? WireEncodings.Parse(e) : spec.Encoding,
        Density = density is { } d
            ? (d is > 0 and <= 1 ? d : throw new ArgumentException($"--density must be in (0, 1], got {d}"))
            : spec.Density,
    };
}
