using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace FedMesh.Node.Tests.Learning.HuggingFace;

/// <summary>
/// Tiny random-weight Hugging Face checkpoints written by hf_reference.py (Debian's python3-torch), and that script's
/// independent reference logits. Tests skip, saying why, when python3-torch is not installed (tests/run.sh installs it
/// as root from tests/apt-packages.txt). Folders are made once per test run and shared.
/// </summary>
public sealed class HfCheckpoints : IDisposable
{
    public const string Python = "/usr/bin/python3";

    private static readonly Lazy<string?> Unavailable = new(Probe);
    private readonly string _root = Directory.CreateTempSubdirectory("fedmesh-hf-").FullName;
    private readonly Dictionary<string, string> _made = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public static string Script => Path.Combine(AppContext.BaseDirectory, "Learning", "HuggingFace", "hf_reference.py");

    /// <summary>Null when python3 with torch runs; else why not.</summary>
    public static string? Missing => Unavailable.Value;

    /// <summary>Skips the calling test when the reference implementation cannot run.</summary>
    public static void RequirePython() =>
        Skip.If(Missing is not null, $"needs Debian's python3-torch for the reference checkpoints ({Missing}); `apt-get install python3-torch` or run tests/run.sh as root");

    /// <summary>A checkpoint folder made with the given `make` arguments (cached by arguments).</summary>
    public string Make(string arguments)
    {
        RequirePython();
        lock (_lock)
        {
            if (_made.TryGetValue(arguments, out string? dir))
            {
                return dir;
            }

            dir = Path.Combine(_root, $"m{_made.Count}");
            Run($"make --out {dir} {arguments}");
            _made[arguments] = dir;
            return dir;
        }
    }

    /// <summary>A fresh copy of a made folder, for tests that damage it.</summary>
    public string Copy(string arguments)
    {
        string source = Make(arguments);
        string target = Path.Combine(_root, "copy-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(target);
        foreach (string file in Directory.GetFiles(source))
        {
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        }

        return target;
    }

    /// <summary>Reference logits [rows, time, vocab] for token id rows of equal length.</summary>
    public float[] Logits(string dir, int[][] rows)
    {
        string outFile = Path.Combine(_root, "logits-" + Guid.NewGuid().ToString("N"));
        string ids = string.Join(';', rows.Select(r => string.Join(',', r.Select(v => v.ToString(CultureInfo.InvariantCulture)))));
        Run($"logits --dir {dir} --ids {ids} --out {outFile}");
        float[] values = MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(outFile)).ToArray();
        File.Delete(outFile);
        return values;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
        }
    }

    private static void Run(string arguments)
    {
        (int code, string output) = Exec($"{Script} {arguments}");
        if (code != 0)
        {
            throw new InvalidOperationException($"hf_reference.py {arguments} failed ({code}): {output}");
        }
    }

    private static (int Code, string Output) Exec(string arguments)
    {
        var info = new ProcessStartInfo(Python, arguments) { RedirectStandardError = true, RedirectStandardOutput = true };
        using Process p = Process.Start(info)!;
        Task<string> err = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, output + err.Result);
    }

    private static string? Probe()
    {
        if (!File.Exists(Python))
        {
            return $"{Python} is missing";
        }

        (int code, string output) = Exec("-c \"import torch\"");
        return code == 0 ? null : $"import torch failed: {output.Trim().Split('\n').LastOrDefault()}";
    }
}

[CollectionDefinition(Name)]
public sealed class HfCollection : ICollectionFixture<HfCheckpoints>
{
    public const string Name = "huggingface";
}
