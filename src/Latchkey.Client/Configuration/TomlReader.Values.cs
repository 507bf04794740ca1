using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Latchkey.Client.Configuration;

/// <summary>Strings, numbers and date-times.</summary>
public sealed partial class TomlReader
{
    private string ParseBasicString()
    {
        var start = pos;
        pos++; // "
        var sb = new StringBuilder();
        while (true)
        {
            if (AtEnd || Peek is '\n' or '\r')
            {
                throw Error(start, "unterminated string");
            }

            var c = Peek;
            if (c == '"')
            {
                pos++;
                return sb.ToString();
            }

            if (c == '\\')
            {
                ParseEscape(sb);
                continue;
            }

            if (IsForbiddenControl(c))
            {
                throw Error(pos, $"control character {Printable(c)} must be escaped in a string");
            }

            sb.Append(c);
            pos++;
        }
    }

    private string ParseMultilineBasicString()
    {
        var start = pos;
        pos += 3;
        TryNewline(); // a newline right after the opening delimiter is trimmed
        var sb = new StringBuilder();
        while (true)
        {
            if (AtEnd)
            {
                throw Error(start, "unterminated multi-line string");
            }

            var c = Peek;
            if (c == '"' && Ahead("\"\"\""))
            {
                var quotes = CountRun('"');
                if (quotes > 5)
                {
                    throw Error(pos, "too many quotes at the end of a multi-line string");
                }

                sb.Append('"', quotes - 3); // up to two quotes may sit just before the closing delimiter
                pos += quotes;
                return sb.ToString();
            }

            if (c == '\\')
            {
                if (IsLineEndingBackslash())
                {
                    // A line-ending backslash trims the newline and all whitespace up to the next character.
                    pos++;
                    while (!AtEnd && (Peek is ' ' or '\t' || TryNewline()))
                    {
                        if (!AtEnd && Peek is ' ' or '\t')
                        {
                            pos++;
                        }
                    }

                    continue;
                }

                ParseEscape(sb);
                continue;
            }

            if (c == '\r' || c == '\n')
            {
                TryNewline();
                sb.Append('\n');
                continue;
            }

            if (IsForbiddenControl(c))
            {
                throw Error(pos, $"control character {Printable(c)} must be escaped in a string");
            }

            sb.Append(c);
            pos++;
        }
    }

    private bool IsLineEndingBackslash()
    {
        var i = pos + 1;
        while (i < text.Length && text[i] is ' ' or '\t')
        {
            i++;
        }

        return i < text.Length && (text[i] == '\n' || (text[i] == '\r' && i + 1 < text.Length && text[i + 1] == '\n'));
    }

    private string ParseLiteralString()
    {
        var start = pos;
        pos++; // '
        var from = pos;
        while (true)
        {
            if (AtEnd || Peek is '\n' or '\r')
            {
                throw Error(start, "unterminated literal string");
            }

            if (Peek == '\'')
            {
                var value = text[from..pos];
                pos++;
                return value;
            }

            if (IsForbiddenControl(Peek))
            {
                throw Error(pos, $"control character {Printable(Peek)} is not allowed in a literal string");
            }

            pos++;
        }
    }

    private string ParseMultilineLiteralString()
    {
        var start = pos;
        pos += 3;
        TryNewline();
        var sb = new StringBuilder();
        while (true)
        {
            if (AtEnd)
            {
                throw Error(start, "unterminated multi-line literal string");
            }

            var c = Peek;
            if (c == '\'' && Ahead("'''"))
            {
                var quotes = CountRun('\'');
                if (quotes > 5)
                {
                    throw Error(pos, "too many quotes at the end of a multi-line literal string");
                }

                sb.Append('\'', quotes - 3);
                pos += quotes;
                return sb.ToString();
            }

            if (c is '\r' or '\n')
            {
                TryNewline();
                sb.Append('\n');
                continue;
            }

            if (IsForbiddenControl(c))
            {
                throw Error(pos, $"control character {Printable(c)} is not allowed in a literal string");
            }

            sb.Append(c);
            pos++;
        }
    }

    private int CountRun(char c)
    {
        var n = 0;
        while (pos + n < text.Length && text[pos + n] == c)
        {
            n++;
        }

        return n;
    }

    private void ParseEscape(StringBuilder sb)
    {
        var at = pos;
        pos++; // backslash
        if (AtEnd)
        {
            throw Error(at, "unterminated escape sequence");
        }

        var e = Peek;
        pos++;
        switch (e)
        {
            case 'b': sb.Append('\b'); return;
            case 't': sb.Append('\t'); return;
            case 'n': sb.Append('\n'); return;
            case 'f': sb.Append('\f'); return;
            case 'r': sb.Append('\r'); return;
            case '"': sb.Append('"'); return;
            case '\\': sb.Append('\\'); return;
            case 'u': AppendCodePoint(sb, 4, at); return;
            case 'U': AppendCodePoint(sb, 8, at); return;
            default: throw Error(at, $"'\\{Printable(e)}' is not a valid escape in TOML 1.0");
        }
    }

    private void AppendCodePoint(StringBuilder sb, int digits, int at)
    {
        if (pos + digits > text.Length)
        {
            throw Error(at, "incomplete unicode escape");
        }

        var hex = text.Substring(pos, digits);
        if (!hex.All(char.IsAsciiHexDigit) || !long.TryParse(hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var code)
            || code > 0x10FFFF || code is >= 0xD800 and <= 0xDFFF)
        {
            throw Error(at, $"'\\{(digits == 4 ? 'u' : 'U')}{hex}' is not a Unicode scalar value");
        }

        pos += digits;
        sb.Append(char.ConvertFromUtf32((int)code));
    }

    private object ParseNumberOrDate()
    {
        var start = pos;
        while (!AtEnd && (char.IsAsciiLetterOrDigit(Peek) || Peek is '+' or '-' or '_' or '.' or ':'))
        {
            pos++;
        }

        // A date followed by a space and a time is one value: "1979-05-27 07:32:00Z".
        if (pos - start == 10 && DateOnly().IsMatch(text.AsSpan(start, 10)) && pos + 3 < text.Length && text[pos] == ' '
            && char.IsAsciiDigit(text[pos + 1]) && char.IsAsciiDigit(text[pos + 2]) && text[pos + 3] == ':')
        {
            pos++;
            while (!AtEnd && (char.IsAsciiLetterOrDigit(Peek) || Peek is '+' or '-' or '.' or ':'))
            {
                pos++;
            }
        }

        var token = text[start..pos];
        if (token.Length == 0)
        {
            throw Error(start, AtEnd ? "expected a value" : $"unexpected '{Printable(Peek)}'; expected a value");
        }

        return ParseDate(token, start) ?? ParseInteger(token, start) ?? (object?)ParseFloat(token, start)
            ?? throw Error(start, $"'{token}' is not a valid value");
    }

    private object? ParseInteger(string token, int at)
    {
        long value;
        if (DecimalInteger().IsMatch(token))
        {
            if (!long.TryParse(token.Replace("_", string.Empty, StringComparison.Ordinal), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value))
            {
                throw Error(at, $"integer {token} does not fit in 64 bits");
            }

            return value;
        }

        var match = PrefixedInteger().Match(token);
        if (!match.Success)
        {
            return null;
        }

        var digits = match.Groups["digits"].Value.Replace("_", string.Empty, StringComparison.Ordinal);
        var radix = match.Groups["prefix"].Value switch { "0x" => 16, "0o" => 8, _ => 2 };
        try
        {
            var unsigned = Convert.ToUInt64(digits, radix);
            if (unsigned > long.MaxValue)
            {
                throw Error(at, $"integer {token} does not fit in 64 bits");
            }

            return (long)unsigned;
        }
        catch (OverflowException)
        {
            throw Error(at, $"integer {token} does not fit in 64 bits");
        }
        catch (FormatException)
        {
            throw Error(at, $"'{token}' has digits that its base does not allow");
        }
    }

    private double? ParseFloat(string token, int at)
    {
        switch (token)
        {
            case "inf" or "+inf": return double.PositiveInfinity;
            case "-inf": return double.NegativeInfinity;
            case "nan" or "+nan" or "-nan": return double.NaN;
        }

        if (!DecimalFloat().IsMatch(token))
        {
            return null;
        }

        var value = double.Parse(token.Replace("_", string.Empty, StringComparison.Ordinal), NumberStyles.Float, CultureInfo.InvariantCulture);
        return double.IsInfinity(value) ? throw Error(at, $"float {token} is out of range") : value;
    }

    private TomlDateTime? ParseDate(string token, int at)
    {
        var time = LocalTime().Match(token);
        if (time.Success)
        {
            CheckTime(time, at, token);
            return new TomlDateTime(TomlDateTimeKind.LocalTime, token);
        }

        var m = DateTime().Match(token);
        if (!m.Success)
        {
            return null;
        }

        var year = int.Parse(m.Groups["y"].Value, CultureInfo.InvariantCulture);
        var month = int.Parse(m.Groups["mo"].Value, CultureInfo.InvariantCulture);
        var day = int.Parse(m.Groups["d"].Value, CultureInfo.InvariantCulture);
        if (month is < 1 or > 12 || day < 1 || day > System.DateTime.DaysInMonth(Math.Max(year, 1), month))
        {
            throw Error(at, $"'{token}' is not a valid date");
        }

        if (!m.Groups["time"].Success)
        {
            return new TomlDateTime(TomlDateTimeKind.LocalDate, token);
        }

        CheckTime(m, at, token);
        var normalized = token[..10] + "T" + token[11..];
        if (!m.Groups["offset"].Success)
        {
            return new TomlDateTime(TomlDateTimeKind.LocalDateTime, normalized);
        }

        var offset = m.Groups["offset"].Value;
        if (offset is not ("Z" or "z") && (int.Parse(offset[1..3], CultureInfo.InvariantCulture) > 23 || int.Parse(offset[4..6], CultureInfo.InvariantCulture) > 59))
        {
            throw Error(at, $"'{token}' has an invalid offset");
        }

        return new TomlDateTime(TomlDateTimeKind.OffsetDateTime, normalized.ToUpperInvariant());
    }

    private void CheckTime(Match m, int at, string token)
    {
        var hour = int.Parse(m.Groups["h"].Value, CultureInfo.InvariantCulture);
        var minute = int.Parse(m.Groups["mi"].Value, CultureInfo.InvariantCulture);
        var second = int.Parse(m.Groups["s"].Value, CultureInfo.InvariantCulture);
        if (hour > 23 || minute > 59 || second > 60)
        {
            throw Error(at, $"'{token}' is not a valid time");
        }
    }

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}$")]
    private static partial Regex DateOnly();

    [GeneratedRegex(@"^(?<y>\d{4})-(?<mo>\d{2})-(?<d>\d{2})(?<time>[Tt ](?<h>\d{2}):(?<mi>\d{2}):(?<s>\d{2})(\.\d+)?(?<offset>[Zz]|[+-]\d{2}:\d{2})?)?$")]
    private static partial Regex DateTime();

    [GeneratedRegex(@"^(?<h>\d{2}):(?<mi>\d{2}):(?<s>\d{2})(\.\d+)?$")]
    private static partial Regex LocalTime();

    [GeneratedRegex(@"^[+-]?(0|[1-9](_?\d)*)$")]
    private static partial Regex DecimalInteger();

    [GeneratedRegex(@"^(?<prefix>0x|0o|0b)(?<digits>[0-9A-Fa-f](_?[0-9A-Fa-f])*)$")]
    private static partial Regex PrefixedInteger();

    [GeneratedRegex(@"^[+-]?(0|[1-9](_?\d)*)((\.\d(_?\d)*)([eE][+-]?\d(_?\d)*)?|[eE][+-]?\d(_?\d)*)$")]
    private static partial Regex DecimalFloat();
}
