using System.Runtime.InteropServices;

namespace FedMesh.Protocol.IO.Internal;

/// <summary>
/// Payload-sized byte arrays (a received delta, up to 64 MiB) that are written front to back right after they are
/// allocated. On Linux their memory is advised for transparent huge pages, so the first write faults each 2 MiB in
/// once instead of each 4 KiB page: `perf` put ~3k first-touch page faults into every 64 MiB secure transfer of
/// `fedmesh bench transfer` (the assembler writing chunks into a fresh buffer), and copying 64 MiB into fresh memory
/// took ~200 ms of CPU with 4 KiB faults against ~6 ms with huge pages on the development VM (2-core AMD EPYC guest,
/// where each fault traps to the hypervisor). The advice is a hint: where transparent huge pages are off, or no
/// huge page is free, the kernel uses 4 KiB pages as before.
/// </summary>
internal static partial class PayloadBuffer
{
    /// <summary>The x86-64 and arm64 (4 KiB granule) transparent huge page size: one PMD entry.</summary>
    public const int HugePageBytes = 2 * 1024 * 1024;

    /// <summary>
    /// Smallest buffer advised: it always contains at least one whole aligned huge page (a shorter one may contain
    /// none), and below it the ≤ 1k faults cost less than the system call is worth thinking about.
    /// </summary>
    public const int MinAdvisedBytes = 2 * HugePageBytes;

    /// <summary>Linux MADV_HUGEPAGE (asm-generic/mman-common.h).</summary>
    private const int MadvHugePage = 14;

    /// <summary>
    /// An uninitialised array of <paramref name="length"/> bytes (the caller overwrites every byte before exposing
    /// any), huge-page advised when it is at least <see cref="MinAdvisedBytes"/> long.
    /// </summary>
    public static byte[] AllocateUninitialized(int length)
    {
        byte[] buffer = GC.AllocateUninitializedArray<byte>(length);
        if (length >= MinAdvisedBytes && OperatingSystem.IsLinux())
        {
            AdviseHugePages(buffer);
        }

        return buffer;
    }

    /// <summary>
    /// The whole huge pages inside <paramref name="buffer"/>: its start rounded up, its end rounded down to
    /// <see cref="HugePageBytes"/>, so the advice never reaches memory of other objects. Pinned only for the call:
    /// the advice belongs to the address range, and arrays this large live on the large object heap, which the GC
    /// does not compact unless asked to.
    /// </summary>
    /// <returns>Whether the kernel took the advice (false: not Linux, too short, or madvise refused, e.g. a kernel
    /// without transparent huge pages; the buffer then works as any other).</returns>
    public static unsafe bool AdviseHugePages(byte[] buffer)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        fixed (byte* start = buffer)
        {
            (nuint first, nuint length) = WholeHugePages((nuint)start, (nuint)buffer.Length);
            return length > 0 && NativeMethods.madvise((nint)first, length, MadvHugePage) == 0;
        }
    }

    /// <summary>The aligned huge pages inside [<paramref name="start"/>, start + <paramref name="length"/>): first address and byte count (0 when none fits).</summary>
    public static (nuint First, nuint Length) WholeHugePages(nuint start, nuint length)
    {
        const nuint mask = HugePageBytes - 1;
        nuint first = (start + mask) & ~mask;
        nuint end = (start + length) & ~mask;
        return end > first ? (first, end - first) : (first, 0);
    }

    private static partial class NativeMethods
    {
        [LibraryImport("libc", EntryPoint = "madvise", SetLastError = true)]
        public static partial int madvise(nint address, nuint length, int advice);
    }
}
