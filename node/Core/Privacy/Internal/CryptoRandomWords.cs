using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace FedMesh.Node.Privacy.Internal;

/// <summary>
/// Words from the OS CSPRNG (OpenSSL RAND_bytes on Linux). Noise must be unpredictable to the peers who receive
/// the delta: a guessable noise stream could be subtracted and the clipped delta recovered.
/// </summary>
internal sealed class CryptoRandomWords : IRandomWords
{
    public void Fill(Span<ulong> destination) => RandomNumberGenerator.Fill(MemoryMarshal.AsBytes(destination));
}
