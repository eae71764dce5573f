using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FedMesh.Protocol.Deltas;

namespace FedMesh.Node.Cli;

/// <summary>
/// What a benchmark ran on, added to every <c>fedmesh-bench … --json</c> object as <c>cpu</c>, <c>features</c>,
/// <c>libraries</c> and <c>runtime</c>, so figures taken on different machines can be told apart (issue 12: the same
/// commit ran 3× slower in the secure path on a machine of the same kind, and nothing in the output said why).
/// <c>features</c> is what .NET will use (its <c>IsSupported</c> answers include the OS's register support and any
/// <c>DOTNET_Enable*</c> switch), plus CPUID bits .NET has no API for (VAES, VPCLMULQDQ, SHA).
/// </summary>
public static partial class BenchMachine
{
    /// <summary>Runtime switches that change which code paths a benchmark takes (SIMD width, JIT tiering).</summary>
    private static readonly string[] KnobPrefixes = ["DOTNET_Enable", "DOTNET_Preferred", "DOTNET_Tiered", "DOTNET_TC_", "DOTNET_ReadyToRun", "DOTNET_OSR", "DOTNET_gc"];

    /// <summary>
    /// <paramref name="figures"/> (an object JsonSerializer turns into a JSON object) with the machine description
    /// added; <paramref name="torch"/> adds the TorchSharp/libtorch versions (only benches that already loaded libtorch).
    /// </summary>
    public static string Json(object figures, JsonSerializerOptions? options = null, bool torch = false)
    {
        ArgumentNullException.ThrowIfNull(figures);
        JsonNode node = JsonSerializer.SerializeToNode(figures, figures.GetType(), options)
            ?? throw new ArgumentException("figures serialise to null", nameof(figures));
        return With(node.AsObject(), torch);
    }

    /// <summary>A JSON object text (as a bench wrote it) with the machine description added.</summary>
    public static string Json(string figuresJson, bool torch = false) =>
        With(JsonNode.Parse(figuresJson)?.AsObject() ?? throw new ArgumentException("not a JSON object", nameof(figuresJson)), torch);

    private static string With(JsonObject figures, bool torch)
    {
        figures["cpu"] = Cpu();
        figures["features"] = Features();
        figures["libraries"] = Libraries(torch);
        figures["runtime"] = Runtime();
        return figures.ToJsonString();
    }

    /// <summary>Vendor, brand string, family/model/stepping as /proc/cpuinfo computes them from CPUID leaf 1, core count.</summary>
    internal static JsonObject Cpu()
    {
        var cpu = new JsonObject
        {
            ["architecture"] = RuntimeInformation.ProcessArchitecture.ToString(),
            ["logical_cores"] = Environment.ProcessorCount,
        };
        if (!X86Base.IsSupported)
        {
            return cpu;
        }

        (int _, int vendorB, int vendorC, int vendorD) = X86Base.CpuId(0, 0);
        Span<byte> vendor = stackalloc byte[12];
        BitConverter.TryWriteBytes(vendor, vendorB);
        BitConverter.TryWriteBytes(vendor[4..], vendorD);
        BitConverter.TryWriteBytes(vendor[8..], vendorC);
        cpu["vendor"] = Encoding.ASCII.GetString(vendor);

        // The kernel's name and the CPUID brand string can differ under a hypervisor (here "AMD EPYC" vs "Oxide Virtual
        // Turin-like Processor"); print both, the kernel's first as the name people compare.
        string brand = BrandString();
        cpu["model_name"] = ProcCpuInfo("model name") ?? brand;
        cpu["cpuid_brand"] = brand;

        // Family and model as the Intel SDM / AMD APM define the displayed values (extended fields added for family 0xF,
        // extended model for families 6 and 0xF and above), i.e. what /proc/cpuinfo prints.
        int eax = X86Base.CpuId(1, 0).Eax;
        int baseFamily = (eax >> 8) & 0xF;
        int family = baseFamily == 0xF ? baseFamily + ((eax >> 20) & 0xFF) : baseFamily;
        int model = (eax >> 4) & 0xF;
        if (baseFamily is 0x6 or 0xF)
        {
            model |= ((eax >> 16) & 0xF) << 4;
        }

        cpu["family"] = family;
        cpu["model"] = model;
        cpu["stepping"] = eax & 0xF;
        return cpu;
    }

    /// <summary>The first value of <paramref name="key"/> in /proc/cpuinfo, or null where there is none (not Linux).</summary>
    internal static string? ProcCpuInfo(string key)
    {
        const string Path = "/proc/cpuinfo";
        if (!File.Exists(Path))
        {
            return null;
        }

        foreach (string line in File.ReadLines(Path))
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && line[..colon].Trim() == key)
            {
                return line[(colon + 1)..].Trim();
            }
        }

        return null;
    }

    /// <summary>CPUID leaves 0x80000002–4: the 48-byte brand string ("AMD EPYC 9B45 …").</summary>
    private static string BrandString()
    {
        if ((uint)X86Base.CpuId(unchecked((int)0x80000000), 0).Eax < 0x80000004)
        {
            return string.Empty;
        }

        var brand = new StringBuilder();
        Span<byte> bytes = stackalloc byte[16];
        for (int leaf = 0; leaf < 3; leaf++)
        {
            (int a, int b, int c, int d) = X86Base.CpuId(unchecked((int)0x80000002) + leaf, 0);
            BitConverter.TryWriteBytes(bytes, a);
            BitConverter.TryWriteBytes(bytes[4..], b);
            BitConverter.TryWriteBytes(bytes[8..], c);
            BitConverter.TryWriteBytes(bytes[12..], d);
            brand.Append(Encoding.ASCII.GetString(bytes));
        }

        return brand.ToString().TrimEnd('\0').Trim();
    }

    /// <summary>Instruction sets as .NET will use them, the vector widths it accelerates, and CPUID-only bits.</summary>
    internal static JsonObject Features()
    {
        var features = new JsonObject
        {
            ["aes"] = System.Runtime.Intrinsics.X86.Aes.IsSupported,
            ["pclmulqdq"] = Pclmulqdq.IsSupported,
            ["avx2"] = Avx2.IsSupported,
            ["avx512f"] = Avx512F.IsSupported,
            ["avx512bw"] = Avx512BW.IsSupported,
            ["avx512vl"] = Avx512F.VL.IsSupported,
            ["avx10v1"] = Avx10v1.IsSupported,
            ["vector128_accelerated"] = Vector128.IsHardwareAccelerated,
            ["vector256_accelerated"] = Vector256.IsHardwareAccelerated,
            ["vector512_accelerated"] = Vector512.IsHardwareAccelerated,
            ["vector_t_bits"] = System.Numerics.Vector<byte>.Count * 8,
        };
        if (X86Base.IsSupported && X86Base.CpuId(0, 0).Eax >= 7)
        {
            // Leaf 7 sub-leaf 0 (Intel SDM vol. 2A, CPUID): EBX bit 29 SHA; ECX bit 9 VAES, bit 10 VPCLMULQDQ, bit 8 GFNI.
            (int _, int ebx, int ecx, int _) = X86Base.CpuId(7, 0);
            features["sha_cpuid"] = (ebx & (1 << 29)) != 0;
            features["vaes_cpuid"] = (ecx & (1 << 9)) != 0;
            features["vpclmulqdq_cpuid"] = (ecx & (1 << 10)) != 0;
            features["gfni_cpuid"] = (ecx & (1 << 8)) != 0;
        }

        return features;
    }

    /// <summary>Versions of the native and managed libraries on the measured paths, and whether the JIT compiles them optimised from the first call (issue 12).</summary>
    internal static JsonObject Libraries(bool torch)
    {
        var libraries = new JsonObject
        {
            ["blake3_package"] = VersionOf(typeof(Blake3.Hasher).Assembly),
            ["tiered_compilation"] = System.AppContext.TryGetSwitch("System.Runtime.TieredCompilation", out bool tiered) ? tiered : null,
            ["nsec"] = VersionOf(typeof(NSec.Cryptography.Key).Assembly),
            ["libsodium"] = Libsodium(),
            ["openssl"] = OpenSsl(),
            ["system_numerics_tensors"] = VersionOf(typeof(System.Numerics.Tensors.TensorPrimitives).Assembly),
        };
        if (torch)
        {
            AddTorch(libraries);
        }

        return libraries;
    }

    private static void AddTorch(JsonObject libraries)
    {
        libraries["torchsharp"] = VersionOf(typeof(TorchSharp.torch).Assembly);

        // libtorch has no version call TorchSharp exposes; the loaded library's package folder names it
        // (…/libtorch-cpu-linux-x64/2.10.0/runtimes/…/libtorch_cpu.so).
        string? path = Process.GetCurrentProcess().Modules.Cast<ProcessModule>()
            .Select(m => m.FileName)
            .FirstOrDefault(f => Path.GetFileName(f).StartsWith("libtorch_cpu", StringComparison.Ordinal));
        libraries["libtorch"] = path ?? "not loaded";
    }

    internal static JsonObject Runtime()
    {
        var knobs = new JsonObject();
        foreach (System.Collections.DictionaryEntry e in Environment.GetEnvironmentVariables())
        {
            string name = (string)e.Key;
            if (KnobPrefixes.Any(p => name.StartsWith(p, StringComparison.OrdinalIgnoreCase)))
            {
                knobs[name] = (string?)e.Value;
            }
        }

        return new JsonObject
        {
            ["framework"] = RuntimeInformation.FrameworkDescription,
            ["os"] = RuntimeInformation.OSDescription,
            ["debug_build"] = typeof(BenchMachine).Assembly.GetCustomAttribute<DebuggableAttribute>()?.IsJITOptimizerDisabled ?? false,
            ["env"] = knobs,
        };
    }

    private static string VersionOf(Assembly assembly) =>
        assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? assembly.GetName().Version?.ToString() ?? "unknown";

    private static string Libsodium()
    {
        try
        {
            // NSec loads libsodium under this name, so this resolves to the same library NSec uses.
            return Marshal.PtrToStringAnsi(SodiumVersionString()) ?? "unknown";
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return $"not loadable: {e.Message}";
        }
    }

    /// <summary>OpenSSL's version number (0xMNN00PP0 for 3.x) as M.NN.PP, with the raw number; "none" off Linux.</summary>
    private static string OpenSsl()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "none (platform crypto)";
        }

        try
        {
            long v = System.Security.Cryptography.SafeEvpPKeyHandle.OpenSslVersion;
            return string.Create(CultureInfo.InvariantCulture, $"{v >> 28}.{(v >> 20) & 0xFF}.{(v >> 4) & 0xFF} (0x{v:X})");
        }
        catch (PlatformNotSupportedException)
        {
            return "none";
        }
    }

    [LibraryImport("libsodium", EntryPoint = "sodium_version_string")]
    private static partial nint SodiumVersionString();
}
