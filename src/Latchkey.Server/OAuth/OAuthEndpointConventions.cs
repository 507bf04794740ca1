using Latchkey.Server.Web;

namespace Latchkey.Server.OAuth;

public static class OAuthEndpointConventions
{
    /// <summary>
    /// An OAuth or Codex protocol endpoint: bodies of at most <see cref="OAuthRequestReader.MaxBodyBytes"/>, errors raised
    /// before it runs in RFC 6749 §5.2 JSON, and no anti-forgery check (its callers are programs, not cookie-holding browsers).
    /// </summary>
    public static TBuilder OAuthEndpoint<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder
        => builder.DisableAntiforgery().WithMetadata(ClientErrorFormat.OAuth, new RequestBodyLimit(OAuthRequestReader.MaxBodyBytes));
}
