namespace Latchkey.Protocol.OAuth;

public static class ClaimNames
{
    public const string Issuer = "iss";
    public const string Subject = "sub";
    public const string Audience = "aud";
    public const string Expires = "exp";
    public const string IssuedAt = "iat";
    public const string NotBefore = "nbf";
    public const string JwtId = "jti";
    public const string SessionId = "sid";
    public const string ClientId = "client_id";
    public const string Scope = "scope";
    public const string Email = "email";
    public const string EmailVerified = "email_verified";
    public const string Nonce = "nonce";
    public const string AuthTime = "auth_time";
    public const string AuthenticationMethods = "amr";

    /// <summary>The Codex claim object (codex-compat.md).</summary>
    public const string CodexAuth = "https://api.openai.com/auth";
    public const string CodexAccountId = "chatgpt_account_id";
    public const string CodexUserId = "chatgpt_user_id";
    public const string CodexPlanType = "chatgpt_plan_type";
    public const string CodexIsFedramp = "chatgpt_account_is_fedramp";
}
