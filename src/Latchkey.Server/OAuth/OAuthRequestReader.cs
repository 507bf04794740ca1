using System.Text.Json;
using Latchkey.Protocol.OAuth;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Primitives;

namespace Latchkey.Server.OAuth;

/// <summary>
/// Reads OAuth endpoint bodies: application/x-www-form-urlencoded (RFC 6749) or JSON (the Codex dialect).
/// Oversized bodies, repeated parameters, non-string JSON members and other content types are refused
/// with invalid_request before anything is looked up.
/// </summary>
public static class OAuthRequestReader
{
    public const int MaxBodyBytes = 64 * 1024;

    public static async Task<(OAuthParameters? Parameters, OAuthError? Error)> ReadAsync(HttpContext context, bool allowJson, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var request = context.Request;
        if (!HttpMethods.IsPost(request.Method))
        {
            return (null, new OAuthError(OAuthErrors.InvalidRequest, "Use POST.", StatusCodes.Status405MethodNotAllowed));
        }

        if (request.ContentLength > MaxBodyBytes)
        {
            return (null, new OAuthError(OAuthErrors.InvalidRequest, "The request body is too large.", StatusCodes.Status413PayloadTooLarge));
        }

        var sizeFeature = context.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (sizeFeature is { IsReadOnly: false })
        {
            sizeFeature.MaxRequestBodySize = MaxBodyBytes;
        }

        try
        {
            if (request.HasFormContentType && request.ContentType!.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase))
            {
                var form = await request.ReadFormAsync(new FormOptions { ValueCountLimit = 64, KeyLengthLimit = 256, ValueLengthLimit = 16 * 1024 }, cancellationToken);
                return FromPairs(form.Select(kv => (kv.Key, kv.Value)), isJson: false);
            }

            if (allowJson && IsJson(request.ContentType))
            {
                return await ReadJsonAsync(request, cancellationToken);
            }
        }
        catch (Exception ex) when (ex is InvalidDataException or BadHttpRequestException or IOException)
        {
            return (null, new OAuthError(OAuthErrors.InvalidRequest, "The request body could not be read.", StatusCodes.Status400BadRequest));
        }

        var expected = allowJson ? "application/x-www-form-urlencoded or application/json" : "application/x-www-form-urlencoded";
        return (null, new OAuthError(OAuthErrors.InvalidRequest, $"Content-Type must be {expected}."));
    }

    public static (OAuthParameters? Parameters, OAuthError? Error) FromQuery(IQueryCollection query)
    {
        ArgumentNullException.ThrowIfNull(query);
        return FromPairs(query.Select(kv => (kv.Key, kv.Value)), isJson: false);
    }

    private static (OAuthParameters?, OAuthError?) FromPairs(IEnumerable<(string Key, StringValues Value)> pairs, bool isJson)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in pairs)
        {
            // RFC 6749 §3.1 / §3.2: "Request and response parameters MUST NOT be included more than once."
            if (value.Count > 1)
            {
                return (null, new OAuthError(OAuthErrors.InvalidRequest, $"Parameter '{key}' is repeated."));
            }

            values[key] = value.ToString();
        }

        return (new OAuthParameters(values, isJson), null);
    }

    private static bool IsJson(string? contentType)
        => contentType is not null && contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase);

    private static async Task<(OAuthParameters?, OAuthError?)> ReadJsonAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(request.Body, new JsonDocumentOptions { MaxDepth = 4 }, cancellationToken);
        }
        catch (JsonException)
        {
            return (null, new OAuthError(OAuthErrors.InvalidRequest, "The request body is not valid JSON."));
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return (null, new OAuthError(OAuthErrors.InvalidRequest, "The request body must be a JSON object."));
            }

            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (values.ContainsKey(property.Name))
                {
                    return (null, new OAuthError(OAuthErrors.InvalidRequest, $"Parameter '{property.Name}' is repeated."));
                }

                switch (property.Value.ValueKind)
                {
                    case JsonValueKind.String:
                        values[property.Name] = property.Value.GetString()!;
                        break;
                    case JsonValueKind.Null:
                        break;
                    default:
                        return (null, new OAuthError(OAuthErrors.InvalidRequest, $"Parameter '{property.Name}' must be a string."));
                }
            }

            return (new OAuthParameters(values, isJson: true), null);
        }
    }
}
