using Latchkey.Client.Configuration;
using Latchkey.Client.Credentials;

namespace Latchkey.Client;

/// <summary>
/// What an app may choose when it embeds Latchkey. Everything else comes from the same places the `latchkey` CLI
/// reads: `$LATCHKEY_HOME/config.toml`, the administrator's managed_config.toml (which wins over everything here),
/// and the environment (`LATCHKEY_SERVER`, `LATCHKEY_HOME`, `LATCHKEY_ACCESS_TOKEN`, `LATCHKEY_API_KEY`).
/// </summary>
public sealed class LatchkeyClientOptions
{
    internal const string DefaultClientId = "latchkey-cli";

    /// <summary>The Latchkey server; wins over `LATCHKEY_SERVER` and `server_url` in config.toml. Null: take theirs.</summary>
    public string? Server { get; set; }

    /// <summary>The Latchkey home (credentials, config.toml, lock files). Null: `LATCHKEY_HOME`, else `~/.latchkey`.</summary>
    public string? Home { get; set; }

    /// <summary>
    /// config.toml settings for this app only, as the CLI's `-c key=value` (the value is TOML, else a string). The
    /// administrator's managed settings still win over them.
    /// </summary>
    public IList<string> ConfigOverrides { get; } = [];

    /// <summary>Warnings (an unknown config.toml key, a keyring that is not usable under `auto`); null: not reported.</summary>
    public Action<string>? OnWarning { get; set; }

    // Filled in by ClientComposition; settable by the library's own tests.
    internal string ClientId { get; set; } = DefaultClientId;

    internal LatchkeyConfig Config { get; set; } = new();

    internal ICredentialStore? Store { get; set; }

    internal Func<string, string?> Environment { get; set; } = System.Environment.GetEnvironmentVariable;

    /// <summary>Workspaces a sign-in may end in (admin restriction `forced_chatgpt_workspace_id`); empty allows any.</summary>
    internal IReadOnlyList<string> AllowedWorkspaceIds
    {
        get => Config.ForcedWorkspaceIds;
        set => Config = Config with { ForcedWorkspaceIds = value };
    }

    /// <summary>Refresh when the access token has less than this left (Codex: 5 minutes).</summary>
    internal TimeSpan RefreshMargin { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How long a refresh whose outcome is unknown (network error, timeout, 5xx) keeps being retried. Shorter than the
    /// server's retry window (60 s), in which a retry gets the same answer back; long enough to ride out a restart.
    /// </summary>
    internal TimeSpan RefreshRetryBudget { get; set; } = TimeSpan.FromSeconds(45);

    /// <summary>The resolved home: <see cref="Home"/>, else `LATCHKEY_HOME`, else `~/.latchkey`.</summary>
    internal string HomeOrDefault => Home ?? DefaultHome(Environment);

    /// <summary>`LATCHKEY_HOME` (from <paramref name="environment"/>, default the process environment), else `~/.latchkey`.</summary>
    internal static string DefaultHome(Func<string, string?>? environment = null)
    {
        var fromEnv = (environment ?? System.Environment.GetEnvironmentVariable)("LATCHKEY_HOME");
        return !string.IsNullOrWhiteSpace(fromEnv)
            ? Path.GetFullPath(fromEnv)
            : Path.Combine(System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile), ".latchkey");
    }
}
