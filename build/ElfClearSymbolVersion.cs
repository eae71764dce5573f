// Inline MSBuild task compiled by RoslynCodeTaskFactory (netstandard API surface only) (see TorchSharpGlibcFix.targets); not part of any project.
// It does in C# what `patchelf --clear-symbol-version SYMBOL` does, plus the one step patchelf leaves out:
// the loader (glibc elf/dl-version.c, _dl_check_map_versions) rejects a library whose .gnu.version_r lists a
// version the provider lacks, whether or not any symbol still uses it, unless that entry is VER_FLG_WEAK.
// So after clearing, every version entry no symbol refers to any more is marked weak.
using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

public sealed class ElfClearSymbolVersion : Task
{
    // ELF constants (System V gABI; GNU symbol versioning extension).
    private const uint ShtDynsym = 11;
    private const uint ShtGnuVersym = 0x6fffffff;
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const ushort VerFlgWeak = 0x2;
    private const ushort VerNdxGlobal = 1;
    private const int SymSize = 24;   // sizeof(Elf64_Sym)
    private const int ShdrSize = 64;  // sizeof(Elf64_Shdr)

    [Required]
    public ITaskItem[] Files { get; set; } = Array.Empty<ITaskItem>();

    /// <summary>Semicolon-separated undefined symbols whose version requirement is dropped.</summary>
    [Required]
    public string Symbols { get; set; } = string.Empty;

    public override bool Execute()
    {
        var symbols = new HashSet<string>(Symbols.Split(new[] { ';' }, StringSplitOptions.RemoveEmptyEntries), StringComparer.Ordinal);
        foreach (ITaskItem item in Files)
        {
            string path = item.ItemSpec;
            try
            {
                byte[] elf = File.ReadAllBytes(path);
                int changes = Patch(elf, symbols);
                if (changes == 0)
                {
                    Log.LogMessage(MessageImportance.Low, "{0}: already patched", path);
                    continue;
                }

                // Write a new file and rename it over the old one: never write through a hard link into the
                // NuGet cache. Keep the timestamp so the SDK's skip-unchanged copy leaves the patched file alone.
                DateTime stamp = File.GetLastWriteTimeUtc(path);
                string temp = path + ".glibcfix.tmp";
                File.WriteAllBytes(temp, elf);
                File.SetLastWriteTimeUtc(temp, stamp);
                File.Replace(temp, path, null); // rename(2): the old inode (maybe a hard link) is left untouched
                Log.LogMessage(MessageImportance.Normal, "{0}: cleared symbol versions ({1} edits)", path, changes);
            }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
            {
                Log.LogError("TorchSharp glibc fix failed for {0}: {1}", path, e.Message);
            }
        }

        return !Log.HasLoggedErrors;
    }

    /// <summary>Edits <paramref name="elf"/> in place; returns the number of fields changed (0 = already patched).</summary>
    public static int Patch(byte[] elf, ISet<string> symbols)
    {
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
        {
            throw new InvalidDataException("not an ELF file");
        }

        if (elf[4] != 2 || elf[5] != 1)
        {
            throw new InvalidDataException("only little-endian ELF64 is supported");
        }

        ulong shoff = U64(elf, 0x28);
        int shentsize = U16(elf, 0x3a);
        int shnum = U16(elf, 0x3c);
        if (shentsize != ShdrSize || shoff == 0 || shoff + (ulong)(shnum * ShdrSize) > (ulong)elf.Length)
        {
            throw new InvalidDataException("section header table out of bounds");
        }

        int dynsym = -1, versym = -1, verneed = -1;
        for (int i = 0; i < shnum; i++)
        {
            uint type = U32(elf, (int)shoff + (i * ShdrSize) + 4);
            if (type == ShtDynsym) dynsym = i;
            else if (type == ShtGnuVersym) versym = i;
            else if (type == ShtGnuVerneed) verneed = i;
        }

        if (dynsym < 0 || versym < 0)
        {
            return 0; // nothing versioned: nothing to clear
        }

        (int symOff, int symLen, int dynstrIndex) = Section(elf, shoff, dynsym);
        (int strOff, int strLen, _) = Section(elf, shoff, dynstrIndex);
        (int verOff, int verLen, _) = Section(elf, shoff, versym);
        int count = symLen / SymSize;
        if (verLen < count * 2)
        {
            throw new InvalidDataException(".gnu.version is shorter than .dynsym");
        }

        int changes = 0;
        var cleared = new HashSet<ushort>();
        for (int i = 0; i < count; i++)
        {
            string name = CString(elf, strOff, strLen, U32(elf, symOff + (i * SymSize)));
            int at = verOff + (i * 2);
            ushort ver = (ushort)(U16(elf, at) & 0x7fff);
            if (ver > VerNdxGlobal && symbols.Contains(name))
            {
                cleared.Add(ver);
                elf[at] = (byte)VerNdxGlobal;
                elf[at + 1] = 0;
                changes++;
            }
        }

        if (verneed < 0)
        {
            return changes;
        }

        // Which version indices are still used by some symbol? Already-patched files have none for the
        // cleared ones, so the weak marking below is also what makes a second run find nothing to do.
        var used = new HashSet<int>();
        for (int i = 0; i < count; i++)
        {
            used.Add(U16(elf, verOff + (i * 2)) & 0x7fff);
        }

        (int needOff, int needLen, _) = Section(elf, shoff, verneed);
        int entry = needOff;
        for (int guard = 0; guard < 4096; guard++)
        {
            Check(entry, 16, needOff, needLen);
            int cnt = U16(elf, entry + 2);
            int aux = entry + (int)U32(elf, entry + 8);
            for (int j = 0; j < cnt; j++)
            {
                Check(aux, 16, needOff, needLen);
                ushort other = (ushort)U16(elf, aux + 6);
                ushort flags = (ushort)U16(elf, aux + 4);
                if (!used.Contains(other) && (flags & VerFlgWeak) == 0)
                {
                    flags |= VerFlgWeak;
                    elf[aux + 4] = (byte)flags;
                    elf[aux + 5] = (byte)(flags >> 8);
                    changes++;
                }

                uint nextAux = U32(elf, aux + 12);
                if (nextAux == 0) break;
                aux += (int)nextAux;
            }

            uint next = U32(elf, entry + 12);
            if (next == 0) break;
            entry += (int)next;
        }

        return changes;
    }

    private static (int Offset, int Length, int Link) Section(byte[] elf, ulong shoff, int index)
    {
        int h = (int)shoff + (index * ShdrSize);
        ulong off = U64(elf, h + 0x18);
        ulong size = U64(elf, h + 0x20);
        if (off + size > (ulong)elf.Length)
        {
            throw new InvalidDataException($"section {index} out of bounds");
        }

        return ((int)off, (int)size, (int)U32(elf, h + 0x28));
    }

    private static void Check(int at, int size, int start, int length)
    {
        if (at < start || at + size > start + length)
        {
            throw new InvalidDataException(".gnu.version_r entry out of bounds");
        }
    }

    private static string CString(byte[] elf, int strOff, int strLen, uint offset)
    {
        if (offset >= strLen) return string.Empty;
        int start = strOff + (int)offset;
        int end = Array.IndexOf(elf, (byte)0, start, strLen - (int)offset);
        return end < 0 ? string.Empty : Encoding.ASCII.GetString(elf, start, end - start);
    }

    private static int U16(byte[] b, int at) => b[at] | (b[at + 1] << 8);

    private static uint U32(byte[] b, int at) => BitConverter.ToUInt32(b, at);

    private static ulong U64(byte[] b, int at) => BitConverter.ToUInt64(b, at);
}
