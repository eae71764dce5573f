namespace FedMesh.Node.Configuration;

/// <summary>The configuration could not be used; <see cref="Errors"/> lists every problem found, one per line in the message.</summary>
public sealed class ConfigException : Exception
{
    public ConfigException(IReadOnlyList<ConfigError> errors)
        : base(string.Join(Environment.NewLine, errors)) => Errors = errors;

    public IReadOnlyList<ConfigError> Errors { get; }
}
