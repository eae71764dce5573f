namespace FedMesh.Node.Configuration.Internal;

/// <summary>Rules that involve more than one key. Each problem is reported against the key the user most likely has to change.</summary>
internal static class CrossChecks
{
    internal static IEnumerable<(string Key, string Message)> Check(NodeOptions o)
    {
        if (o.Network.Closed && o.Network.Allowlist.Count == 0)
        {
            yield return ("network.closed", "is true but network.allowlist is empty, so no peer could join");
        }

        if (o.Network.MaxConnections < o.Network.MaxPeers)
        {
            yield return ("network.max_connections", $"must be at least network.max_peers ({o.Network.MaxPeers}), got {o.Network.MaxConnections}");
        }

        // Krum selects a delta whose n - f - 2 nearest neighbours are closest; it needs n > 2f + 2 inputs
        // (Blanchard et al., "Machine Learning with Adversaries", NeurIPS 2017, §4).
        if (o.Merge.Rule == "multi_krum" && o.Network.MaxPeers <= (2 * o.Merge.ByzantineF) + 2)
        {
            yield return ("merge.byzantine_f", $"is {o.Merge.ByzantineF} but krum needs network.max_peers > 2f + 2 = {(2 * o.Merge.ByzantineF) + 2}");
        }

        // σ below 0.3 makes the RDP bound vacuous (PrivacyOptions.Validate); 0 means "plan it", off is its own level.
        if (o.Privacy.Level != Privacy.PrivacyLevels.Off && o.Privacy.NoiseMultiplier is > 0 and < Privacy.PrivacyPlanner.MinNoiseMultiplier)
        {
            yield return ("privacy.noise_multiplier", $"must be 0 (planned at start) or at least {Privacy.PrivacyPlanner.MinNoiseMultiplier}, got {o.Privacy.NoiseMultiplier}; to turn differential privacy off set privacy.level = \"off\"");
        }
    }
}
