using System.Runtime.InteropServices;

namespace FedMesh.Node.Learning.HuggingFace.Internal;

/// <summary>
/// Asks Linux to back a large, not yet touched buffer with transparent huge pages (madvise(2) MADV_HUGEPAGE), for
/// machines whose THP mode is "madvise" (Debian's default). Purely advisory: elsewhere, or if the call fails, nothing
/// changes but the number of page faults.
/// </summary>
internal static partial class HugePages
{
    /// <summary>x86-64 and arm64 huge page size (2 MiB); only whole, aligned huge pages inside the buffer are advised.</summary>
    public const long Size = 2L << 20;

    /// <summary>MADV_HUGEPAGE from linux/mman-common.h.</summary>
    private const int MadvHugePage = 14;

    public static unsafe void Advise(byte* start, long length)
    {
        if (!OperatingSystem.IsLinux() || length < Size)
        {
            return;
        }

        long first = ((long)start + Size - 1) & ~(Size - 1);
        long end = ((long)start + length) & ~(Size - 1);
        if (end > first)
        {
            // The result is ignored on purpose: EINVAL (THP compiled out) or EAGAIN only mean 4 KiB pages.
            _ = Madvise((nint)first, (nuint)(end - first), MadvHugePage);
        }
    }

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int Madvise(nint address, nuint length, int advice);
}
