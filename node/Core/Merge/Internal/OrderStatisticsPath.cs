namespace FedMesh.Node.Merge.Internal;

/// <summary>Which code <see cref="OrderStatisticsKernel.Run"/> sorts with: tests run each on the same input.</summary>
internal enum OrderStatisticsPath
{
    /// <summary>The fastest that applies: <see cref="SortNetwork16"/> for equal weights and 9 ≤ k ≤ 16, else the
    /// generic network, the scalar sort for tails and k above <see cref="OrderStatisticsKernel.MaxNetworkRows"/>.</summary>
    Auto,

    /// <summary>The generic network (comparator list, stack rows) wherever a network applies.</summary>
    GenericNetwork,

    /// <summary>The scalar sort for every coordinate: the reference.</summary>
    Scalar,
}
