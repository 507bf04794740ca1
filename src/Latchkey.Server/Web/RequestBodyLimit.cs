namespace Latchkey.Server.Web;

/// <summary>
/// Endpoint metadata: the largest body the endpoint reads, enforced by <see cref="RequestBodyGuard"/>. Deliberately not
/// IRequestSizeLimitMetadata: routing would hand that to Kestrel as a hard limit, which cuts the upload off and resets
/// the connection instead of letting the guard answer a readable 413.
/// </summary>
public sealed record RequestBodyLimit(long Bytes)
{
    /// <summary>What an endpoint without its own limit accepts.</summary>
    public static readonly RequestBodyLimit Default = new(1024 * 1024);
}
