namespace Latchkey.Client.Configuration;

/// <summary>A TOML table: keys in document order mapped to string, long, double, bool, <see cref="TomlDateTime"/>, <see cref="TomlArray"/> or <see cref="TomlTable"/>.</summary>
public sealed class TomlTable : Dictionary<string, object>
{
    public TomlTable()
        : base(StringComparer.Ordinal)
    {
    }

    internal TomlTableKind Kind { get; set; }
}
