using Tomlyn.Syntax;

namespace Latchkey.Client.Configuration;

/// <summary>
/// The line (1-based) on which each key of a TOML document is set, by dotted path (`model_providers.lk.base_url`), so
/// messages about a setting can point at the line to fix. Only for documents that already parsed without errors.
/// </summary>
internal static class TomlKeyLines
{
    public static IReadOnlyDictionary<string, int> Of(string text, string source)
    {
        var lines = new Dictionary<string, int>(StringComparer.Ordinal);
        var document = Tomlyn.Parsing.SyntaxParser.Parse(text, source, validate: false);
        foreach (var keyValue in document.KeyValues)
        {
            Add(lines, string.Empty, keyValue);
        }

        foreach (var table in document.Tables)
        {
            var prefix = Path(table.Name);
            if (prefix.Length == 0)
            {
                continue;
            }

            lines.TryAdd(prefix, table.Span.Start.Line + 1);
            foreach (var keyValue in table.Items)
            {
                Add(lines, prefix + ".", keyValue);
            }
        }

        return lines;
    }

    private static void Add(Dictionary<string, int> lines, string prefix, KeyValueSyntax keyValue)
    {
        var path = Path(keyValue.Key);
        if (path.Length > 0)
        {
            lines.TryAdd(prefix + path, keyValue.Span.Start.Line + 1);
        }
    }

    private static string Path(KeySyntax? key)
    {
        if (key?.Key is null)
        {
            return string.Empty;
        }

        var parts = new List<string> { Text(key.Key) };
        foreach (var dotted in key.DotKeys)
        {
            parts.Add(Text(dotted.Key));
        }

        return string.Join('.', parts);
    }

    private static string Text(BareKeyOrStringValueSyntax? key) => key switch
    {
        BareKeySyntax bare => bare.Key?.Text ?? string.Empty,
        StringValueSyntax quoted => quoted.Value ?? string.Empty,
        _ => string.Empty,
    };
}
