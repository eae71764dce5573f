using FedMesh.Node.Hosting;
using FedMesh.Protocol.Deltas;
using FedMesh.Protocol.Identity;
using FedMesh.Protocol.Security;

namespace FedMesh.Node.Tests.Hosting;

/// <summary>Signed deltas of random values for the runtime tests that move real deltas between nodes.</summary>
internal static class TestDeltas
{
    /// <summary>A delta of <paramref name="schema"/> filled from <paramref name="seed"/>, signed by
    /// <paramref name="origin"/> for the mesh named <paramref name="meshName"/>; its payload bytes alongside.</summary>
    public static (SignedDelta Delta, byte[] Payload) Sign(
        NodeIdentity origin, string meshName, AdapterSchema schema, ulong sequence, int seed,
        TensorEncoding encoding, int? chunkSize = null)
    {
        var random = new Random(seed);
        float[] flat = new float[schema.TotalElements];
        for (int i = 0; i < flat.Length; i++)
        {
            flat[i] = (float)(random.NextDouble() - 0.5);
        }

        EncodedDelta encoded = DeltaEncoder.EncodeFlat(schema, flat, encoding);
        var header = new DeltaHeader
        {
            MeshId = NodeRuntime.MeshIdFor(meshName),
            BaseModelHash = new byte[32],
            Schema = schema,
            Sequence = sequence,
            Timestamp = DateTimeOffset.UtcNow,
            Privacy = new DpParameters(0, 0, null),
            ChunkSize = chunkSize ?? DeltaLimits.DefaultChunkSize,
        };

        return (SignedDelta.Create(origin.SigningKey, header, encoded), encoded.Payload.ToArray());
    }
}
