using System.Text.Json;

namespace Latchkey.Server.Gateway;

/// <summary>
/// Finds the top-level `model` of a JSON request body as its bytes pass, in constant memory: it follows strings,
/// escapes and nesting byte by byte and keeps only the (short) top-level keys and the model's value. It never holds
/// the body. Keys are compared after JSON unescaping (`"mod\u0065l"` is `model`, as every upstream parser reads it),
/// and a second top-level `model` makes the body ambiguous — upstream parsers keep the last one, a check that read the
/// first would be bypassed.
/// </summary>
public sealed class JsonModelScanner
{
    private const int MaxKeyBytes = 128;
    private const int MaxModelBytes = 1024;

    private readonly byte[] token = new byte[MaxModelBytes];
    private int tokenLength;
    private bool tokenOverflow;
    private bool started;
    private bool inString;
    private bool escaped;
    private bool capturing;
    private bool stringIsKey;
    private bool expectKey;
    private bool lastKeyIsModel;
    private bool expectModelValue;
    private int depth;
    private int modelKeys;

    public JsonModelScannerState State { get; private set; } = JsonModelScannerState.Scanning;

    /// <summary>The model, once its value has been read; null before, or when there is none.</summary>
    public string? Model { get; private set; }

    /// <summary>Whether a top-level `model` key has been seen (its value may still be to come).</summary>
    public bool SawModelKey => modelKeys > 0;

    /// <summary>True once the top-level object has closed: no later key can appear.</summary>
    public bool Complete { get; private set; }

    public void Feed(ReadOnlySpan<byte> bytes)
    {
        for (var i = 0; i < bytes.Length && State == JsonModelScannerState.Scanning; i++)
        {
            Step(bytes[i]);
        }
    }

    private void Step(byte b)
    {
        if (inString)
        {
            if (capturing)
            {
                if (tokenLength < (stringIsKey ? MaxKeyBytes : MaxModelBytes))
                {
                    token[tokenLength++] = b;
                }
                else
                {
                    tokenOverflow = true;
                }
            }

            if (escaped)
            {
                escaped = false;
            }
            else if (b == (byte)'\\')
            {
                escaped = true;
            }
            else if (b == (byte)'"')
            {
                inString = false;
                if (capturing)
                {
                    capturing = false;
                    tokenLength--; // the closing quote
                    EndToken();
                }
            }

            return;
        }

        if (b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
        {
            return;
        }

        if (!started)
        {
            started = true;
            if (b != (byte)'{')
            {
                State = JsonModelScannerState.NotJson;
                return;
            }
        }
        else if (Complete)
        {
            State = JsonModelScannerState.Ambiguous; // bytes after the top-level object: not one JSON value
            return;
        }

        if (expectModelValue && b != (byte)'"')
        {
            State = JsonModelScannerState.Ambiguous; // a model that is not a string
            return;
        }

        switch (b)
        {
            case (byte)'"':
                inString = true;
                stringIsKey = depth == 1 && expectKey;
                capturing = stringIsKey || (depth == 1 && expectModelValue);
                tokenLength = 0;
                tokenOverflow = false;
                break;
            case (byte)'{' or (byte)'[':
                depth++;
                expectKey = depth == 1;
                break;
            case (byte)'}' or (byte)']':
                depth--;
                if (depth < 0)
                {
                    State = JsonModelScannerState.Ambiguous;
                }
                else if (depth == 0)
                {
                    Complete = true;
                }

                break;
            case (byte)',' when depth == 1:
                expectKey = true;
                break;
            case (byte)':' when depth == 1:
                expectModelValue = lastKeyIsModel;
                lastKeyIsModel = false;
                break;
        }
    }

    private void EndToken()
    {
        var text = tokenOverflow ? null : Unescape(token.AsSpan(0, tokenLength));
        if (stringIsKey)
        {
            expectKey = false;
            lastKeyIsModel = text == "model"; // a key too long to hold cannot be "model" (at most 6 bytes per character)
            if (text is null && !tokenOverflow)
            {
                State = JsonModelScannerState.Ambiguous;
            }
            else if (lastKeyIsModel && ++modelKeys > 1)
            {
                State = JsonModelScannerState.Ambiguous;
            }

            return;
        }

        expectModelValue = false;
        if (text is null)
        {
            State = JsonModelScannerState.Ambiguous;
            return;
        }

        Model = text;
    }

    private static string? Unescape(ReadOnlySpan<byte> raw)
    {
        Span<byte> quoted = stackalloc byte[raw.Length + 2];
        quoted[0] = (byte)'"';
        raw.CopyTo(quoted[1..]);
        quoted[^1] = (byte)'"';
        try
        {
            var reader = new Utf8JsonReader(quoted);
            return reader.Read() && reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }
}
