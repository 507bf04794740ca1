namespace Latchkey.Client.Credentials;

public enum LoginMethod
{
    /// <summary>Signed in to a workspace account (browser or device sign-in); Codex calls this "chatgpt".</summary>
    Workspace,
    ApiKey,
    AccessToken,
}
