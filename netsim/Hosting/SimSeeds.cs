using System.Security.Cryptography;
using System.Text;

namespace FedMesh.NetSim.Hosting;

/// <summary>
/// Every random stream of a run derives from the scenario seed and a purpose label through SHA-256, so streams are
/// independent (changing one node's draws never shifts another's) and a run is a pure function of scenario + seed.
/// </summary>
public static class SimSeeds
{
    /// <summary>32 bytes for (seed, purpose, a, b).</summary>
    public static byte[] Bytes(ulong seed, string purpose, long a = 0, long b = 0) =>
        SHA256.HashData(Encoding.UTF8.GetBytes($"fedmesh-netsim|{seed}|{purpose}|{a}|{b}"));

    /// <summary>A non-negative int seed for <see cref="Random"/>.</summary>
    public static int Int(ulong seed, string purpose, long a = 0, long b = 0) =>
        (int)(BitConverter.ToUInt32(Bytes(seed, purpose, a, b)) & int.MaxValue);

    /// <summary>A 64-bit seed (DP noise generators).</summary>
    public static ulong UInt64(ulong seed, string purpose, long a = 0, long b = 0) =>
        BitConverter.ToUInt64(Bytes(seed, purpose, a, b));

    /// <summary>A seeded <see cref="Random"/> for one purpose.</summary>
    public static Random Random(ulong seed, string purpose, long a = 0, long b = 0) => new(Int(seed, purpose, a, b));
}
