using Microsoft.AspNetCore.Http.Metadata;

namespace Latchkey.Server.Web;

/// <summary>Endpoint metadata: the largest body the endpoint reads. Enforced by <see cref="RequestBodyGuard"/>.</summary>
public sealed record RequestBodyLimit(long Bytes) : IRequestSizeLimitMetadata
{
    /// <summary>What an endpoint without its own limit accepts.</summary>
    public static readonly RequestBodyLimit Default = new(1024 * 1024);

    long? IRequestSizeLimitMetadata.MaxRequestBodySize => Bytes;
}
