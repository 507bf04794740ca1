namespace Latchkey.Server.Web;

/// <summary>
/// Endpoint metadata naming the error shape an endpoint's clients read, so errors raised before the endpoint runs
/// (a body too large, a charset it cannot read) come back in the same shape as the endpoint's own errors.
/// Endpoints without it (pages, static files) get plain text.
/// </summary>
public sealed record ClientErrorFormat
{
    /// <summary>RFC 6749 §5.2 `{error, error_description}`, never cached: /oauth/* and the Codex endpoints.</summary>
    public static readonly ClientErrorFormat OAuth = new("oauth");

    /// <summary>RFC 9457 ProblemDetails with a stable `code`: /api/v1.</summary>
    public static readonly ClientErrorFormat Problem = new("problem");

    private ClientErrorFormat(string name) => Name = name;

    public string Name { get; }
}
