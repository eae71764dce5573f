namespace FedMesh.Protocol.Security.Internal;

/// <summary>
/// The AEAD of a simulated channel (<see cref="Transport.ConnectionOptions.SimulatedCrypto"/>): the "ciphertext" is the
/// plaintext and the tag is that many zero bytes, so every frame has exactly the length the negotiated suite would give
/// it (a simulator's byte counts stay the real ones) while no cipher runs. Opening checks only that the tag is zero,
/// which catches a real peer's ciphertext or a framing bug; it authenticates nothing.
/// </summary>
internal sealed class PlaintextAead(CipherSuite suite) : Aead(suite)
{
    public override void Seal(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, Span<byte> sealedOutput, ReadOnlySpan<byte> associatedData)
    {
        // CopyTo is a memmove: a plaintext already sitting at the output (sealed in place) stays put.
        plaintext.CopyTo(sealedOutput);
        sealedOutput.Slice(plaintext.Length, TagSize).Clear();
    }

    public override bool Open(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> sealedInput, Span<byte> plaintext, ReadOnlySpan<byte> associatedData)
    {
        int length = sealedInput.Length - TagSize;
        if (sealedInput[length..].ContainsAnyExcept((byte)0))
        {
            return false;
        }

        sealedInput[..length].CopyTo(plaintext);
        return true;
    }

    public override void Dispose()
    {
    }
}
