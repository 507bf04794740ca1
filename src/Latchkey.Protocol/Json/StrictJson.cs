using System.Text.Json;
using System.Text.Json.Nodes;

namespace Latchkey.Protocol.Json;

/// <summary>
/// The one way untrusted JSON is read (request bodies, JWT headers and claims). A document is accepted only if it is
/// well-formed in full before anyone looks at it: no member repeated in an object (RFC 7515 §4, RFC 8259 §4 "names
/// SHOULD be unique": a repeated name is read differently by different parsers, so it is refused), and every string
/// and member name is valid Unicode (RFC 8259 §8.1 / §8.2: no invalid UTF-8, no lone surrogate escape such as
/// "\ud800"). System.Text.Json checks neither when parsing and fails later, on first access, with an exception
/// that would otherwise surface as a 500.
/// </summary>
public static class StrictJson
{
    public const int DefaultMaxDepth = 16;

    /// <summary>Parses a JSON object, or returns why it is not an acceptable one.</summary>
    public static bool TryParseObject(ReadOnlyMemory<byte> utf8, out JsonObject? value, out string? error, int maxDepth = DefaultMaxDepth)
    {
        value = null;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8, new JsonDocumentOptions { MaxDepth = maxDepth });
        }
        catch (JsonException ex)
        {
            error = "The body is not valid JSON" + (ex.LineNumber is null ? "." : $" (line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1}).");
            return false;
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                error = "The body must be a JSON object.";
                return false;
            }

            error = Check(document.RootElement);
            if (error is not null)
            {
                return false;
            }

            // Clone detaches the element from the pooled document, so the node outlives the using block.
            value = JsonObject.Create(document.RootElement.Clone());
            return value is not null;
        }
    }

    /// <summary>Reads a whole stream (already bounded by the caller) and parses it as a JSON object.</summary>
    public static async Task<(JsonObject? Value, string? Error)> ReadObjectAsync(Stream body, CancellationToken cancellationToken, int maxDepth = DefaultMaxDepth)
    {
        ArgumentNullException.ThrowIfNull(body);
        using var buffer = new MemoryStream();
        await body.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
        return TryParseObject(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), out var value, out var error, maxDepth) ? (value, null) : (null, error);
    }

    private static string? Check(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var names = new HashSet<string>(StringComparer.Ordinal);
                foreach (var property in element.EnumerateObject())
                {
                    if (!TryGetString(() => property.Name, out var name))
                    {
                        return "A member name is not valid Unicode (invalid UTF-8 or a lone surrogate).";
                    }

                    if (!names.Add(name))
                    {
                        return $"The member '{Printable(name)}' is repeated.";
                    }

                    if (Check(property.Value) is { } inner)
                    {
                        return inner;
                    }
                }

                return null;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    if (Check(item) is { } inner)
                    {
                        return inner;
                    }
                }

                return null;
            case JsonValueKind.String:
                return TryGetString(element.GetString, out _) ? null : "A string is not valid Unicode (invalid UTF-8 or a lone surrogate).";
            default:
                return null;
        }
    }

    private static bool TryGetString(Func<string?> read, out string value)
    {
        try
        {
            value = read() ?? string.Empty;
            return true;
        }
        catch (InvalidOperationException)
        {
            value = string.Empty;
            return false;
        }
    }

    private static string Printable(string name) => name.Length <= 64 ? name : name[..64] + "…";
}
