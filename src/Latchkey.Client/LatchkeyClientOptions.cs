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

    /// <summary>Workspaces a sign-in may end in (admin restriction); empty allows any.</summary>
    public IReadOnlyList<string> AllowedWorkspaceIds { get; set; } = [];

    /// <summary>Refresh when the access token has less than this left (Codex: 5 minutes).</summary>
    public TimeSpan RefreshMargin { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The store; defaults to the file store in <see cref="Home"/>.</summary>
    public ICredentialStore? Store { get; set; }

    public static string DefaultHome()
    {
        var fromEnv = Environment.GetEnvironmentVariable("LATCHKEY_HOME");
        return !string.IsNullOrWhiteSpace(fromEnv)
            ? Path.GetFullPath(fromEnv)
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".latchkey");
    }
}
