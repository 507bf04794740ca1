using Latchkey.Client.Configuration;
using Latchkey.Client.Credentials;

namespace Latchkey.Client;

public sealed class LatchkeyClientOptions
{
    public const string DefaultClientId = "latchkey-cli";

    /// <summary>The Latchkey server (issuer URL). Needed to sign in; refresh uses the issuer stored with the tokens.</summary>
    public string? Server { get; set; }

    public string ClientId { get; set; } = DefaultClientId;

    /// <summary>`LATCHKEY_HOME`, default `~/.latchkey`: the credential file, lock files and (later) config live here.</summary>
    public string Home { get; set; } = DefaultHome();

    /// <summary>The layered configuration: restrictions, credential store choice, model providers.</summary>
    public LatchkeyConfig Config { get; set; } = new();

    /// <summary>Workspaces a sign-in may end in (admin restriction `forced_chatgpt_workspace_id`); empty allows any.</summary>
    public IReadOnlyList<string> AllowedWorkspaceIds
    {
        get => Config.ForcedWorkspaceIds;
        set => Config = Config with { ForcedWorkspaceIds = value };
    }

    /// <summary>Refresh when the access token has less than this left (Codex: 5 minutes).</summary>
    public TimeSpan RefreshMargin { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How long a refresh whose outcome is unknown (network error, timeout, 5xx) keeps being retried. Shorter than the
    /// server's retry window (60 s), in which a retry gets the same answer back; long enough to ride out a restart.
    /// </summary>
    public TimeSpan RefreshRetryBudget { get; set; } = TimeSpan.FromSeconds(45);

    /// <summary>The store; defaults to the file store in <see cref="Home"/>.</summary>
    public ICredentialStore? Store { get; set; }

    /// <summary>`LATCHKEY_HOME` (from <paramref name="environment"/>, default the process environment), else `~/.latchkey`.</summary>
    public static string DefaultHome(Func<string, string?>? environment = null)
    {
        var fromEnv = (environment ?? Environment.GetEnvironmentVariable)("LATCHKEY_HOME");
        return !string.IsNullOrWhiteSpace(fromEnv)
            ? Path.GetFullPath(fromEnv)
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".latchkey");
    }
}
