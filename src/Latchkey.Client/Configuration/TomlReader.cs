using System.Text;
using Tomlyn.Model;
using Tomlyn.Parsing;

namespace Latchkey.Client.Configuration;

/// <summary>
/// Reads a TOML document into Tomlyn's untyped model (tables, arrays, strings, longs, doubles, bools, Tomlyn
/// date-times). Tomlyn parses TOML 1.1, a superset of the 1.0 that codex reads; the conformance tests list where the
/// two differ. Errors are <see cref="TomlException"/>s naming file, line and column; nothing partial is returned.
/// </summary>
internal static class TomlReader
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

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
            decoded = StrictUtf8.GetString(utf8);
        }
        catch (DecoderFallbackException)
        {
            throw new TomlException(source, 1, 1, "the file is not valid UTF-8");
        }

        // Tomlyn skips a leading byte order mark itself, so a second one would pass unnoticed (toml-test
        // encoding/bom-not-at-start): only the first three bytes may be a BOM.
        if (decoded.StartsWith('\uFEFF'))
        {
            throw new TomlException(source, 1, 1, "a byte order mark is allowed only at the very start of the file");
        }

        return Parse(decoded, source);
    }

    public static TomlTable Parse(string text, string source = "<input>")
    {
        ArgumentNullException.ThrowIfNull(text);

        // The syntax pass validates the whole document (duplicate keys, table redefinition, ...); Tomlyn's model
        // deserializer alone keeps the last value of a duplicate key, so it only runs on a document that passed.
        var syntax = SyntaxParser.Parse(text, source, validate: true);
        if (syntax.HasErrors)
        {
            var first = syntax.Diagnostics[0];
            throw new TomlException(source, first.Span.Start.Line + 1, first.Span.Start.Column + 1, first.Message);
        }

        try
        {
            return Tomlyn.TomlSerializer.Deserialize(text, TomlModelContext.Default.TomlTable)
                ?? throw new TomlException(source, 1, 1, "the document is empty");
        }
        catch (Tomlyn.TomlException ex)
        {
            var problem = ex.Diagnostics.Count > 0 ? ex.Diagnostics[0].Message : ex.Message;
            throw new TomlException(source, ex.Line ?? 1, ex.Column ?? 1, problem);
        }
    }
}
