namespace Latchkey.Server.Configuration;

/// <summary>The Codex CLI's dialect (codex-compat.md): its client registration and workspace routing answer.</summary>
public sealed class CodexOptions
{
    /// <summary>Serve the Codex endpoints and register the Codex client.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The client id Codex users pass with `--experimental_client-id` / CODEX_APP_SERVER_LOGIN_CLIENT_ID.</summary>
    public string ClientId { get; set; } = "codex-cli";

    /// <summary>
    /// Other client ids that mean the Codex client. Codex 0.169.0 signs in with the configured id but revokes at
    /// logout with its built-in OpenAI id, so that id is an alias by default (the client is public either way).
    /// </summary>
    public IList<string> ClientIdAliases { get; init; } = ["app_EMoamEEZ73f0CkXaXp7hrann"];

    /// <summary>What /backend-api/wham/accounts/check names as the workspace's backend origin; defaults to the issuer.</summary>
    public string? WorkspaceBackendOrigin { get; set; }
}
