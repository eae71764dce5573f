namespace FedMesh.Node.Configuration.Internal;

/// <summary>Rules that involve more than one key. Each problem is reported against the key the user most likely has to change.</summary>
internal static class CrossChecks
{
    internal static IEnumerable<(string Key, string Message)> Check(NodeOptions o)
    {
        // The privacy options the ledger and mechanism are built from, validated here so a bad combination is a
        // file:line error at load rather than a failure after the base model and data have loaded. Their messages
        // start with the key they concern ("privacy.noise_multiplier must be ..."). A closed mesh with an empty
        // network.allowlist is checked at start instead: `fedmesh trust add` may list its peers in the state directory.
        if (Privacy.ConfiguredPrivacy.Enabled(o.Privacy))
        {
            // σ 0 (planned at start) stands in as the library default here: only the other keys are checked.
            foreach (string problem in Privacy.ConfiguredPrivacy.For(o.Privacy).Validate())
            {
                int space = problem.IndexOf(' ', StringComparison.Ordinal);
                string key = space > 0 && ConfigKeys.Find(problem[..space]) is not null ? problem[..space] : "privacy";
                yield return (key, key == "privacy" ? problem : problem[(space + 1)..]);
            }
        }

        if (o.Network.MaxConnections < o.Network.MaxPeers)
        {
            yield return ("network.max_connections", $"must be at least network.max_peers ({o.Network.MaxPeers}), got {o.Network.MaxConnections}");
        }

        // Cyclon swaps at most a view's worth of entries (Voulgaris et al. 2005: l ≤ c).
        if (o.Membership.ShuffleLength > o.Membership.ViewSize)
        {
            yield return ("membership.shuffle_length", $"must be at most membership.view_size ({o.Membership.ViewSize}), got {o.Membership.ShuffleLength}");
        }

        // The node keeps sessions with its whole view, and it dials at most max_peers: a larger view would hold
        // peers it never connects to.
        if (o.Membership.ViewSize > o.Network.MaxPeers)
        {
            yield return ("membership.view_size", $"must be at most network.max_peers ({o.Network.MaxPeers}), got {o.Membership.ViewSize}");
        }

        // Krum selects a delta whose n - f - 2 nearest neighbours are closest; it needs n > 2f + 2 inputs
        // (Blanchard et al., "Machine Learning with Adversaries", NeurIPS 2017, §4).
        if (o.Merge.Rule == "multi_krum" && o.Network.MaxPeers <= (2 * o.Merge.ByzantineF) + 2)
        {
            yield return ("merge.byzantine_f", $"is {o.Merge.ByzantineF} but krum needs network.max_peers > 2f + 2 = {(2 * o.Merge.ByzantineF) + 2}");
        }
    }
}
