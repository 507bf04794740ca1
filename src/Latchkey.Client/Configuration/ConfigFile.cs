using Tomlyn.Model;

namespace Latchkey.Client.Configuration;

/// <summary>One parsed config file with the line each key is set on.</summary>
internal sealed record ConfigFile(string Path, TomlTable Table, IReadOnlyDictionary<string, int> Lines);
