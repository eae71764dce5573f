namespace FedMesh.Node.Configuration;

/// <summary>
/// One configuration key: its TOML section and name, type, documentation, and how to read, write and check it on
/// <see cref="NodeOptions"/>. Values are boxed <see cref="long"/>, <see cref="double"/>, <see cref="bool"/>,
/// <see cref="string"/> or <c>IReadOnlyList&lt;string&gt;</c> according to <see cref="Kind"/>.
/// </summary>
public sealed class ConfigKey
{
    private readonly Func<NodeOptions, object> _get;
    private readonly Func<NodeOptions, object, NodeOptions> _set;
    private readonly Func<object, string?> _check;

    internal ConfigKey(
        string section,
        string name,
        ConfigValueKind kind,
        string doc,
        Func<NodeOptions, object> get,
        Func<NodeOptions, object, NodeOptions> set,
        Func<object, string?> check)
    {
        Section = section;
        Name = name;
        Kind = kind;
        Doc = doc;
        _get = get;
        _set = set;
        _check = check;
    }

    public string Section { get; }

    public string Name { get; }

    /// <summary>"section.name", the form used in error messages.</summary>
    public string Path => $"{Section}.{Name}";

    /// <summary>FEDMESH_SECTION__NAME, the environment variable that overrides this key.</summary>
    public string EnvironmentVariable => $"FEDMESH_{Section.ToUpperInvariant()}__{Name.ToUpperInvariant()}";

    public ConfigValueKind Kind { get; }

    /// <summary>One-line documentation, written as a comment by <see cref="ConfigWriter"/>.</summary>
    public string Doc { get; }

    public object Get(NodeOptions options) => _get(options);

    /// <summary>Returns the problem with <paramref name="value"/> (e.g. "must be between 1 and 64, got 0"), or null.</summary>
    public string? Check(object value) => _check(value);

    internal NodeOptions Set(NodeOptions options, object value) => _set(options, value);
}
