using FedMesh.Node.Configuration;

namespace FedMesh.Node.Tests.Configuration;

/// <summary>Compares options key by key (records compare lists by reference, so == is not enough).</summary>
internal sealed class OptionsComparer : IEqualityComparer<NodeOptions>
{
    public static readonly OptionsComparer Instance = new();

    public bool Equals(NodeOptions? x, NodeOptions? y) =>
        x is not null && y is not null && ConfigKeys.All.All(k => Same(k.Get(x), k.Get(y)));

    public int GetHashCode(NodeOptions obj) => 0;

    private static bool Same(object a, object b) =>
        a is IEnumerable<string> la && b is IEnumerable<string> lb ? la.SequenceEqual(lb) : Equals(a, b);
}
