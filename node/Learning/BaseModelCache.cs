using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using FedMesh.Node.Learning.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FedMesh.Node.Learning;

/// <summary>
/// Pretrained base models on disk, keyed by everything that determines them (model shape, corpus content,
/// steps, optimiser settings, seed), so the demo, benchmarks and tests pretrain once and reuse the result.
/// </summary>
public static class BaseModelCache
{
    /// <summary>Environment variable that overrides the cache directory.</summary>
    public const string DirectoryVariable = "FEDMESH_CACHE_DIR";

    /// <summary>$FEDMESH_CACHE_DIR, else $XDG_CACHE_HOME/fedmesh, else ~/.cache/fedmesh (XDG Base Directory spec).</summary>
    public static string DefaultDirectory
    {
        get
        {
            string? overridden = Environment.GetEnvironmentVariable(DirectoryVariable);
            if (!string.IsNullOrEmpty(overridden))
            {
                return overridden;
            }

            string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            string root = !string.IsNullOrEmpty(xdg) && Path.IsPathRooted(xdg)
                ? xdg
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
            return Path.Combine(root, "fedmesh");
        }
    }

    /// <summary>Loads the cached base for <paramref name="options"/>, or pretrains and caches it.</summary>
    public static BaseModel GetOrCreate(
        PretrainOptions options,
        string? cacheDirectory = null,
        IProgress<PretrainProgress>? progress = null,
        ILogger? logger = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        logger ??= NullLogger.Instance;
        string path = PathFor(options, cacheDirectory ?? DefaultDirectory);
        if (File.Exists(path))
        {
            try
            {
                BaseModel cached = BaseModel.Load(path);
                Log.CacheHit(logger, path);
                return cached;
            }
            catch (InvalidDataException e)
            {
                Log.CacheCorrupt(logger, path, e.Message);
            }
        }

        Log.CacheMiss(logger, options.Steps, path);
        // Without a progress of the caller's (the daemon), the log says how far the pretraining is.
        BaseModel trained = Pretrainer.Train(options, progress ?? new PretrainProgressLines((p, elapsed) => Log.PretrainStep(logger, p.Step, p.TotalSteps, LanguageModelMath.BitsPerByte(p.Loss), Math.Round(PretrainProgressLines.SecondsLeft(p, elapsed)))), cancellationToken);
        trained.Save(path);
        return trained;
    }

    /// <summary>The cache file for <paramref name="options"/>: base-&lt;first 16 hex of the key&gt;.safetensors.</summary>
    public static string PathFor(PretrainOptions options, string cacheDirectory)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Path.Combine(cacheDirectory, $"base-{Key(options)[..16]}.safetensors");
    }

    /// <summary>SHA-256 (hex) of a canonical description of the options and the corpus file's SHA-256.</summary>
    public static string Key(PretrainOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        string corpus = options.ResolvedCorpusPath;
        if (!File.Exists(corpus))
        {
            throw new FileNotFoundException($"corpus '{corpus}' does not exist", corpus);
        }

        byte[] corpusHash;
        using (FileStream stream = File.OpenRead(corpus))
        {
            corpusHash = SHA256.HashData(stream);
        }

        ModelOptions m = options.Model;
        TrainerOptions t = options.Trainer;
        string description = string.Join('|',
            "fedmesh-base-cache-v2",
            Convert.ToHexStringLower(corpusHash),
            m.Layers, m.Width, m.Heads, m.Context, m.MlpRatio, m.Positions,
            options.Steps, t.BatchSize, F(t.LearningRate), F(t.Beta1), F(t.Beta2), F(t.Epsilon), F(t.WeightDecay), F(t.ClipNorm), t.Seed, t.Threads);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(description)));
    }

    private static string F(float value) => value.ToString("R", CultureInfo.InvariantCulture);
}
