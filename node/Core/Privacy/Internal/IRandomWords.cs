namespace FedMesh.Node.Privacy.Internal;

/// <summary>A source of uniformly random 64-bit words.</summary>
internal interface IRandomWords
{
    void Fill(Span<ulong> destination);
}
