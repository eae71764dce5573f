using System.Text;
using FedMesh.Node.Configuration.Internal;
using FedMesh.Protocol.IO;

namespace FedMesh.Node.Configuration;

/// <summary>Writes a complete, commented <c>fedmesh.toml</c> (what <c>fedmesh init</c> produces).</summary>
public static class ConfigWriter
{
    /// <summary>
    /// 0644: the file holds no secrets (the identity key lives in the state directory) and the unprivileged
    /// <c>fedmesh</c> service user must be able to read a file that root wrote to /etc/fedmesh.
    /// </summary>
    private const UnixFileMode FileMode =
        UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    /// <summary>
    /// Atomically writes the default configuration to <paramref name="path"/>, with <paramref name="overrides"/>
    /// ("section.name" → value: string, bool, int/long, double or a sequence of strings) in place of defaults.
    /// The text is parsed back before it is written, so bad overrides throw <see cref="ConfigException"/>.
    /// </summary>
    public static NodeOptions WriteDefault(string path, IReadOnlyDictionary<string, object>? overrides = null)
    {
        string text = Render(overrides);
        NodeOptions parsed = ConfigLoader.Parse(text, path, new Dictionary<string, string>());
        AtomicFile.Write(path, Encoding.UTF8.GetBytes(text), FileMode);
        return parsed;
    }

    /// <summary>The commented TOML text of the defaults with <paramref name="overrides"/> applied.</summary>
    public static string Render(IReadOnlyDictionary<string, object>? overrides = null)
    {
        overrides ??= new Dictionary<string, object>();
        var unknown = overrides.Keys.Where(k => ConfigKeys.Find(k) is null).ToList();
        if (unknown.Count > 0)
        {
            throw new ConfigException(unknown.Select(k => new ConfigError("overrides", null, k, "is not a known key")).ToList());
        }

        var text = new StringBuilder();
        text.Append("# FedMesh node configuration (written by `fedmesh init`).\n")
            .Append("# Every key is shown with its default. Any key can be overridden from the environment as\n")
            .Append("# FEDMESH_SECTION__KEY=value, e.g. FEDMESH_GOSSIP__FANOUT=4 (lists: comma-separated).\n");
        foreach (string section in ConfigKeys.Sections)
        {
            text.Append('\n').Append('[').Append(section).Append("]\n");
            foreach (ConfigKey key in ConfigKeys.All.Where(k => k.Section == section))
            {
                object value = overrides.TryGetValue(key.Path, out object? given) ? given : key.Get(NodeOptions.Default);
                text.Append("# ").Append(key.Doc).Append('\n')
                    .Append(key.Name).Append(" = ").Append(TomlText.Value(value)).Append('\n');
            }
        }

        return text.ToString();
    }
}
