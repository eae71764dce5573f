namespace FedMesh.Node.Configuration;

/// <summary>The TOML value type a configuration key takes.</summary>
public enum ConfigValueKind
{
    Integer,
    Float,
    Boolean,
    String,
    StringList,
}
