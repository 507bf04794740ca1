namespace Latchkey.Client;

/// <summary>How a credential was obtained.</summary>
public enum LoginMethod
{
    /// <summary>Signed in to a workspace account (browser or device sign-in); Codex calls this "chatgpt".</summary>
    Workspace,

    /// <summary>A workspace API key (`sk-lk-…`), for the model gateway.</summary>
    ApiKey,

    /// <summary>An automation access token (`at-…`), checked with the server at each run start.</summary>
    AccessToken,
}
