namespace Latchkey.Client.Configuration;

public sealed class TomlArray : List<object>
{
    /// <summary>True for an array of tables made by [[headers]]; false for an array value, which cannot be appended to.</summary>
    internal bool IsArrayOfTables { get; init; }
}
