using System.Net;
using System.Text.RegularExpressions;

namespace FedMesh.NetSim.Lab;

/// <summary>
/// Names and addresses of one lab's resources, all derived from the validated lab name, so every command (and a
/// <c>down</c> without a state file) finds the same namespaces.
/// </summary>
public static partial class LabNames
{
    /// <summary>Prefix of every namespace a lab creates ("FedMesh lab"), so they are easy to spot in <c>ip netns list</c>.</summary>
    public const string Prefix = "fml";

    /// <summary>
    /// Lab names are 1-12 lower-case letters or digits: safe as a file name and inside namespace names without
    /// quoting, and free of '-', which separates the lab name from the resource suffix (so lab "a" never matches
    /// lab "ab"'s namespaces).
    /// </summary>
    public const int MaxNameLength = 12;

    /// <summary>Bridge inside the hub namespace. Interface names are per namespace, so fixed names cannot collide.</summary>
    public const string Bridge = "br0";

    /// <summary>The node's end of its veth pair, inside the node's namespace.</summary>
    public const string NodeInterface = "eth0";

    /// <summary>Returns the problem with <paramref name="name"/>, or null when it is a valid lab name.</summary>
    public static string? Check(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return "lab name is empty";
        }

        return NamePattern().IsMatch(name)
            ? null
            : $"lab name '{name}' is invalid: use 1-{MaxNameLength} lower-case letters or digits";
    }

    /// <summary>Throws <see cref="LabException"/> unless <paramref name="name"/> is valid.</summary>
    public static void Validate(string? name)
    {
        if (Check(name) is { } problem)
        {
            throw new LabException(problem);
        }
    }

    /// <summary>"fml{lab}-": every namespace of the lab starts with this.</summary>
    public static string NamespacePrefix(string lab) => $"{Prefix}{lab}-";

    /// <summary>The hub namespace that holds the bridge.</summary>
    public static string HubNamespace(string lab) => $"{NamespacePrefix(lab)}hub";

    /// <summary>Node <paramref name="index"/>'s namespace.</summary>
    public static string NodeNamespace(string lab, int index) => $"{NamespacePrefix(lab)}n{index}";

    /// <summary>The hub's end of node <paramref name="index"/>'s veth pair (inside the hub namespace).</summary>
    public static string HubInterface(int index) => $"v{index}";

    /// <summary>
    /// The lab's private /24, 10.A.B.0/24 with A in 128-255 and B from an FNV-1a hash of the name. The addresses
    /// exist only inside the lab's namespaces, so two labs sharing a subnet would still not interfere; distinct
    /// subnets keep two labs' logs from looking alike. 10.128.0.0/9 is the upper half of RFC 1918's 10/8, less
    /// used by home and office networks.
    /// </summary>
    public static (byte A, byte B) Subnet(string lab)
    {
        ArgumentNullException.ThrowIfNull(lab);
        uint hash = Fnv1a(lab);
        return ((byte)(128 + (hash & 0x7F)), (byte)((hash >> 7) & 0xFF));
    }

    /// <summary>Node <paramref name="index"/>'s address: host index + 1 (".0" is the network address).</summary>
    public static IPAddress NodeAddress(string lab, int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(index, 252);
        (byte a, byte b) = Subnet(lab);
        return new IPAddress([10, a, b, (byte)(index + 1)]);
    }

    /// <summary>FNV-1a, 32 bit (Fowler, Noll, Vo): tiny, stable across runs and platforms, unlike string.GetHashCode.</summary>
    internal static uint Fnv1a(string text)
    {
        const uint OffsetBasis = 2166136261;
        const uint Prime = 16777619;
        uint hash = OffsetBasis;
        foreach (char c in text)
        {
            hash = (hash ^ c) * Prime;
        }

        return hash;
    }

    [GeneratedRegex("^[a-z0-9]{1,12}$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();
}
