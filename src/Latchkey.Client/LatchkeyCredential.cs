using Latchkey.Client.Credentials;

namespace Latchkey.Client;

/// <summary>What an app sends as its bearer (`Authorization: Bearer <see cref="BearerToken"/>`), and for whom.</summary>
/// <param name="Method">How it was obtained: a workspace sign-in (refreshed), an access token (`at-`) or an API key (`sk-lk-`).</param>
/// <param name="BearerToken">The secret to send. Never log it.</param>
/// <param name="WorkspaceId">The workspace it acts in, when known.</param>
/// <param name="ExpiresAt">When it stops working, when known (a sign-in's access token; an access token after its check).</param>
/// <param name="Server">For access tokens: the server that checks them at use.</param>
public sealed record LatchkeyCredential(LoginMethod Method, string BearerToken, string? WorkspaceId, DateTimeOffset? ExpiresAt, string? Server = null)
{
    /// <summary>Masked, so a credential that ends up in a log or exception message gives nothing away.</summary>
    public override string ToString() => $"{Method} {Protocol.Tokens.TokenFormat.Mask(BearerToken)}";
}
