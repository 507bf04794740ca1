namespace Latchkey.Server.Web;

public static class BearerToken
{
    /// <summary>The credential of an `Authorization: Bearer` header (RFC 6750 §2.1), or null.</summary>
    public static string? From(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var header = request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header["Bearer ".Length..].Trim() : null;
    }
}
