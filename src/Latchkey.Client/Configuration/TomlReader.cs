using System.Globalization;
using System.Text;

namespace Latchkey.Client.Configuration;

/// <summary>
/// A TOML 1.0.0 reader (https://toml.io/en/v1.0.0), checked against the toml-test suite. Errors are
/// <see cref="TomlException"/>s naming file, line and column; nothing partial is ever returned.
/// </summary>
public sealed partial class TomlReader
{
    private readonly string text;
    private readonly string source;
    private readonly TomlTable root = new() { Kind = TomlTableKind.Header };
    private int pos;

    private TomlReader(string text, string source)
    {
        this.text = text;
        this.source = source;
    }

    /// <summary>Parses UTF-8 bytes (a leading byte order mark is allowed; invalid UTF-8 is an error).</summary>
    public static TomlTable Parse(ReadOnlySpan<byte> utf8, string source)
    {
        if (utf8.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            utf8 = utf8[3..];
        }

        string decoded;
        try
        {
            decoded = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(utf8);
        }
        catch (DecoderFallbackException)
        {
            throw new TomlException(source, 1, 1, "the file is not valid UTF-8");
        }

        return Parse(decoded, source);
    }

    public static TomlTable Parse(string text, string source = "<input>")
    {
        ArgumentNullException.ThrowIfNull(text);
        return new TomlReader(text, source).ParseDocument();
    }

    private TomlTable ParseDocument()
    {
        var current = root;
        while (true)
        {
            SkipWhitespace();
            if (AtEnd)
            {
                return root;
            }

            if (TryNewline())
            {
                continue;
            }

            if (Peek == '#')
            {
                SkipComment();
                ExpectLineEnd();
                continue;
            }

            if (Peek == '[')
            {
                current = ParseHeader();
            }
            else
            {
                ParseKeyValue(current);
            }

            SkipWhitespace();
            if (!AtEnd && Peek == '#')
            {
                SkipComment();
            }

            ExpectLineEnd();
        }
    }

    private TomlTable ParseHeader()
    {
        var start = pos;
        pos++; // [
        var isArray = !AtEnd && Peek == '[';
        if (isArray)
        {
            pos++;
        }

        SkipWhitespace();
        var keys = ParseKey();
        SkipWhitespace();
        Expect(']', "expected ']' to close the table header");
        if (isArray)
        {
            Expect(']', "expected ']]' to close the array-of-tables header");
        }

        var table = root;
        for (var i = 0; i < keys.Count - 1; i++)
        {
            table = Descend(table, keys[i], start, forHeader: true);
        }

        var last = keys[^1];
        if (isArray)
        {
            if (!table.TryGetValue(last, out var existing))
            {
                table[last] = existing = new TomlArray { IsArrayOfTables = true };
            }

            if (existing is not TomlArray { IsArrayOfTables: true } tables)
            {
                throw Error(start, $"cannot define '{Dotted(keys)}' as an array of tables: it is already a {Describe(existing)}");
            }

            var element = new TomlTable { Kind = TomlTableKind.ArrayElement };
            tables.Add(element);
            return element;
        }

        if (!table.TryGetValue(last, out var found))
        {
            var created = new TomlTable { Kind = TomlTableKind.Header };
            table[last] = created;
            return created;
        }

        if (found is TomlTable { Kind: TomlTableKind.Implicit } implicitTable)
        {
            implicitTable.Kind = TomlTableKind.Header;
            return implicitTable;
        }

        throw Error(start, $"table '{Dotted(keys)}' is already defined");
    }

    /// <summary>Steps into (or creates) a table on the way to a header's or dotted key's last part.</summary>
    private TomlTable Descend(TomlTable table, string key, int at, bool forHeader)
    {
        if (!table.TryGetValue(key, out var value))
        {
            var created = new TomlTable { Kind = forHeader ? TomlTableKind.Implicit : TomlTableKind.DottedKey };
            table[key] = created;
            return created;
        }

        switch (value)
        {
            case TomlTable { Kind: TomlTableKind.Inline }:
                throw Error(at, $"'{key}' is an inline table, which cannot be extended");
            case TomlTable t when forHeader:
                return t;
            case TomlTable { Kind: TomlTableKind.DottedKey } t:
                return t;
            case TomlTable:
                throw Error(at, $"cannot add to table '{key}' with a dotted key: it was defined by a [header]");
            case TomlArray { IsArrayOfTables: true } array when forHeader:
                return (TomlTable)array[^1];
            default:
                throw Error(at, $"'{key}' is already a {Describe(value)}, not a table");
        }
    }

    private void ParseKeyValue(TomlTable table)
    {
        var start = pos;
        var keys = ParseKey();
        SkipWhitespace();
        Expect('=', "expected '=' after the key");
        SkipWhitespace();
        var target = table;
        for (var i = 0; i < keys.Count - 1; i++)
        {
            target = Descend(target, keys[i], start, forHeader: false);
        }

        if (target.ContainsKey(keys[^1]))
        {
            throw Error(start, $"key '{Dotted(keys)}' is defined twice");
        }

        target[keys[^1]] = ParseValue();
    }

    private List<string> ParseKey()
    {
        var parts = new List<string> { ParseSimpleKey() };
        while (true)
        {
            var save = pos;
            SkipWhitespace();
            if (AtEnd || Peek != '.')
            {
                pos = save;
                return parts;
            }

            pos++;
            SkipWhitespace();
            parts.Add(ParseSimpleKey());
        }
    }

    private string ParseSimpleKey()
    {
        if (AtEnd)
        {
            throw Error(pos, "expected a key");
        }

        switch (Peek)
        {
            case '"':
                if (Ahead("\"\"\""))
                {
                    throw Error(pos, "multi-line strings cannot be keys");
                }

                return ParseBasicString();
            case '\'':
                if (Ahead("'''"))
                {
                    throw Error(pos, "multi-line strings cannot be keys");
                }

                return ParseLiteralString();
        }

        var start = pos;
        while (!AtEnd && (char.IsAsciiLetterOrDigit(Peek) || Peek is '_' or '-'))
        {
            pos++;
        }

        if (pos == start)
        {
            throw Error(pos, AtEnd || Peek is '\n' or '\r' ? "expected a key" : $"unexpected '{Printable(Peek)}' in a key");
        }

        return text[start..pos];
    }

    private object ParseValue()
    {
        if (AtEnd)
        {
            throw Error(pos, "expected a value");
        }

        switch (Peek)
        {
            case '"':
                return Ahead("\"\"\"") ? ParseMultilineBasicString() : ParseBasicString();
            case '\'':
                return Ahead("'''") ? ParseMultilineLiteralString() : ParseLiteralString();
            case '[':
                return ParseArray();
            case '{':
                return ParseInlineTable();
        }

        if (Ahead("true") && IsValueEnd(pos + 4))
        {
            pos += 4;
            return true;
        }

        if (Ahead("false") && IsValueEnd(pos + 5))
        {
            pos += 5;
            return false;
        }

        return ParseNumberOrDate();
    }

    private bool IsValueEnd(int at) => at >= text.Length || text[at] is ' ' or '\t' or ',' or ']' or '}' or '#' or '\n' or '\r';

    private TomlArray ParseArray()
    {
        pos++; // [
        var array = new TomlArray();
        while (true)
        {
            SkipWhitespaceCommentsAndNewlines();
            if (AtEnd)
            {
                throw Error(pos, "unterminated array");
            }

            if (Peek == ']')
            {
                pos++;
                return array;
            }

            array.Add(ParseValue());
            SkipWhitespaceCommentsAndNewlines();
            if (AtEnd)
            {
                throw Error(pos, "unterminated array");
            }

            if (Peek == ',')
            {
                pos++;
                continue;
            }

            if (Peek == ']')
            {
                pos++;
                return array;
            }

            throw Error(pos, "expected ',' or ']' in the array");
        }
    }

    private TomlTable ParseInlineTable()
    {
        pos++; // {
        var table = new TomlTable { Kind = TomlTableKind.Inline };
        SkipWhitespace();
        if (!AtEnd && Peek == '}')
        {
            pos++;
            return table;
        }

        while (true)
        {
            SkipWhitespace();
            ParseKeyValue(table);
            SkipWhitespace();
            if (AtEnd)
            {
                throw Error(pos, "unterminated inline table");
            }

            if (Peek == ',')
            {
                pos++;
                continue;
            }

            if (Peek == '}')
            {
                pos++;
                Freeze(table);
                return table;
            }

            throw Error(pos, Peek is '\n' or '\r' ? "inline tables must be on one line (TOML 1.0)" : "expected ',' or '}' in the inline table");
        }
    }

    private static void Freeze(TomlTable table)
    {
        table.Kind = TomlTableKind.Inline;
        foreach (var value in table.Values)
        {
            if (value is TomlTable child)
            {
                Freeze(child);
            }
        }
    }

    private bool AtEnd => pos >= text.Length;

    private char Peek => text[pos];

    private bool Ahead(string s) => string.CompareOrdinal(text, pos, s, 0, s.Length) == 0;

    private void SkipWhitespace()
    {
        while (!AtEnd && Peek is ' ' or '\t')
        {
            pos++;
        }
    }

    private void SkipWhitespaceCommentsAndNewlines()
    {
        while (true)
        {
            SkipWhitespace();
            if (AtEnd)
            {
                return;
            }

            if (Peek == '#')
            {
                SkipComment();
            }
            else if (!TryNewline())
            {
                return;
            }
        }
    }

    private void SkipComment()
    {
        pos++; // #
        while (!AtEnd && Peek != '\n')
        {
            if (Peek == '\r' && pos + 1 < text.Length && text[pos + 1] == '\n')
            {
                return;
            }

            if (IsForbiddenControl(Peek))
            {
                throw Error(pos, $"control character {Printable(Peek)} is not allowed in a comment");
            }

            pos++;
        }
    }

    private bool TryNewline()
    {
        if (AtEnd)
        {
            return false;
        }

        if (Peek == '\n')
        {
            pos++;
            return true;
        }

        if (Peek == '\r')
        {
            if (pos + 1 < text.Length && text[pos + 1] == '\n')
            {
                pos += 2;
                return true;
            }

            throw Error(pos, "a carriage return must be followed by a line feed");
        }

        return false;
    }

    private void ExpectLineEnd()
    {
        if (!AtEnd && !TryNewline())
        {
            throw Error(pos, $"unexpected '{Printable(Peek)}'; expected the end of the line");
        }
    }

    private void Expect(char c, string message)
    {
        if (AtEnd || Peek != c)
        {
            throw Error(pos, message);
        }

        pos++;
    }

    /// <summary>Control characters other than tab are not allowed in comments and strings (TOML 1.0).</summary>
    private static bool IsForbiddenControl(char c) => (c < 0x20 && c != '\t') || c == 0x7F;

    private static string Printable(char c) => c < 0x20 || c == 0x7F ? $"U+{(int)c:X4}" : c.ToString();

    private static string Dotted(List<string> keys) => string.Join('.', keys);

    private static string Describe(object? value) => value switch
    {
        TomlTable => "table",
        TomlArray { IsArrayOfTables: true } => "array of tables",
        TomlArray => "array value",
        _ => "value",
    };

    private TomlException Error(int at, string problem)
    {
        var line = 1;
        var column = 1;
        for (var i = 0; i < at && i < text.Length; i++)
        {
            if (text[i] == '\n')
            {
                line++;
                column = 1;
            }
            else
            {
                column++;
            }
        }

        return new TomlException(source, line, column, problem);
    }
}
