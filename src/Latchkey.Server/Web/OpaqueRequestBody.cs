namespace Latchkey.Server.Web;

/// <summary>
/// Endpoint metadata: the endpoint passes the body on as bytes without decoding it (the model gateway) and enforces its
/// own size limit, so <see cref="RequestBodyGuard"/> neither checks its charset nor limits it.
/// </summary>
public sealed record OpaqueRequestBody
{
    public static readonly OpaqueRequestBody Instance = new();

    private OpaqueRequestBody()
    {
    }
}
