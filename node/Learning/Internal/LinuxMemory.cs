using System.Runtime.InteropServices;

namespace FedMesh.Node.Learning.Internal;

/// <summary>
/// Two advisory calls to Linux and glibc about memory: back a large, not yet touched buffer with transparent huge
/// pages (madvise(2) MADV_HUGEPAGE, for machines whose THP mode is "madvise", Debian's default), and hand the free
/// pages of the C heap back (malloc_trim(3)). Elsewhere, or if a call fails, nothing changes but page faults and
/// resident memory.
/// </summary>
internal static partial class LinuxMemory
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

    /// <summary>
    /// Returns the C heap's free pages to the kernel. Loading a base leaves tens of MB of freed parser and tokenizer
    /// memory in glibc's heap; without a trim it stays resident under the training step's peak.
    /// </summary>
    public static void TrimHeap()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        try
        {
            _ = MallocTrim(0);
        }
        catch (EntryPointNotFoundException)
        {
            // Not glibc (musl has no malloc_trim): nothing to trim.
        }
    }

    [LibraryImport("libc", EntryPoint = "malloc_trim")]
    private static partial int MallocTrim(nuint pad);

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int Madvise(nint address, nuint length, int advice);
}
