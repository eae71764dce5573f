using System.Buffers;

namespace FedMesh.Node.Merge.Internal;

/// <summary>
/// Pins k input deltas once per aggregation so the blocked kernels can read them through raw addresses from any
/// thread (spans cannot be captured by the parallel loop bodies, and re-deriving spans per 16-lane group costs more
/// than the arithmetic).
/// </summary>
internal sealed unsafe class PinnedRows : IDisposable
{
    private readonly MemoryHandle[] _handles;

    public PinnedRows(IReadOnlyList<ReadOnlyMemory<float>> rows, int length)
    {
        _handles = new MemoryHandle[rows.Count];
        Addresses = new nint[rows.Count];
        for (int i = 0; i < rows.Count; i++)
        {
            if (rows[i].Length != length)
            {
                Dispose();
                throw new ArgumentException($"delta {i} has {rows[i].Length} values, expected {length}", nameof(rows));
            }

            _handles[i] = rows[i].Pin();
            Addresses[i] = (nint)_handles[i].Pointer;
        }
    }

    /// <summary>Address of row i's first float.</summary>
    public nint[] Addresses { get; }

    public int Count => Addresses.Length;

    public float* Row(int i) => (float*)Addresses[i];

    public void Dispose()
    {
        foreach (MemoryHandle h in _handles)
        {
            h.Dispose();
        }
    }
}
