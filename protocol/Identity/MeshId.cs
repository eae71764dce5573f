using System.Security.Cryptography;
using System.Text;

namespace FedMesh.Protocol.Identity;

/// <summary>The 32-byte mesh id of Hello and manifests, derived from the mesh name (SPEC.md §9.8).</summary>
public static class MeshId
{
    public static byte[] FromName(string meshName)
    {
        ArgumentNullException.ThrowIfNull(meshName);
        return SHA256.HashData(Encoding.UTF8.GetBytes("fedmesh-mesh-id-v1\n" + meshName));
    }
}
