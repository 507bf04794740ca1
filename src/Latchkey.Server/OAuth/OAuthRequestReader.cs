using System.Text.Json;
using Latchkey.Protocol.Json;
using Latchkey.Protocol.OAuth;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Primitives;

namespace Latchkey.Server.OAuth;

/// <summary>
/// Reads OAuth endpoint bodies: application/x-www-form-urlencoded (RFC 6749) or JSON (the Codex dialect).
/// Oversized bodies (RequestBodyGuard, before this runs), repeated parameters, non-string JSON members and other content types are refused
/// with invalid_request before anything is looked up.
/// </summary>
public static class OAuthRequestReader
{
    /// <summary>The largest body an OAuth endpoint reads; declared on each endpoint as a <see cref="Web.RequestBodyLimit"/>.</summary>
    public const int MaxBodyBytes = 64 * 1024;

    public static async Task<(OAuthParameters? Parameters, OAuthError? Error)> ReadAsync(HttpContext context, bool allowJson, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var request = context.Request;
        if (!HttpMethods.IsPost(request.Method))
        {
            return (null, new OAuthError(OAuthErrors.InvalidRequest, "Use POST.", StatusCodes.Status405MethodNotAllowed));
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
        // BadHttpRequestException (an IOException) is left to RequestBodyGuard, which answers it with its own status (413, 408, 400).
        catch (Exception ex) when (ex is InvalidDataException || (ex is IOException && ex is not BadHttpRequestException))
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
        // StrictJson refuses repeated members (RFC 6749 §3.1's "MUST NOT be included more than once", in JSON form)
        // and strings that are not valid Unicode, before any parameter is looked at.
        var (body, error) = await StrictJson.ReadObjectAsync(request.Body, cancellationToken, maxDepth: 4);
        if (body is null)
        {
            return (null, new OAuthError(OAuthErrors.InvalidRequest, error!));
        }

        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in body)
        {
            switch (value?.GetValueKind())
            {
                case JsonValueKind.String:
                    values[name] = value.GetValue<string>();
                    break;
                case null or JsonValueKind.Null:
                    break;
                default:
                    return (null, new OAuthError(OAuthErrors.InvalidRequest, $"Parameter '{name}' must be a string."));
            }
        }

        return (new OAuthParameters(values, isJson: true), null);
    }
}
