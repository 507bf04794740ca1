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

    /// <summary>
    /// What /backend-api/wham/accounts/check names as the workspace's backend origin. Codex (app-server and TUI)
    /// refuses anything but an https origin without credentials, path, query or fragment, and ends the sign-in with
    /// "workspace backend must use an HTTPS origin without credentials". Unset: the issuer's origin. Set it when the
    /// public issuer is plain http (loopback development); codex does not contact this origin during sign-in.
    /// </summary>
    public string? WorkspaceBackendOrigin { get; set; }

    /// <summary>The origin to name: the setting, else the issuer's origin (https or not; see <see cref="IsCodexBackendOrigin"/>).</summary>
    public string ResolveWorkspaceBackendOrigin(string issuer)
    {
        var value = string.IsNullOrWhiteSpace(WorkspaceBackendOrigin) ? issuer : WorkspaceBackendOrigin;
        return Uri.TryCreate(value, UriKind.Absolute, out var uri) ? uri.GetLeftPart(UriPartial.Authority) : value;
    }

    /// <summary>The rule codex 0.169.0 applies to `workspace_backend_origin` (app-server workspace routing).</summary>
    public static bool IsCodexBackendOrigin(string? value)
        => value is not null && value.Trim() == value
            && Uri.TryCreate(value, UriKind.Absolute, out var uri)
            && uri.Scheme == Uri.UriSchemeHttps && uri.Host.Length > 0
            && string.IsNullOrEmpty(uri.UserInfo) && uri.AbsolutePath == "/"
            && string.IsNullOrEmpty(uri.Query) && string.IsNullOrEmpty(uri.Fragment);
}
