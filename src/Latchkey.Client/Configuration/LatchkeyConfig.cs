namespace Latchkey.Client.Configuration;

/// <summary>The effective configuration after layering, with the layer that set each key.</summary>
internal sealed record LatchkeyConfig
{
    public const string StoreFile = "file";
    public const string StoreKeyring = "keyring";
    public const string StoreAuto = "auto";
    public const string StoreEphemeral = "ephemeral";

    public string? ServerUrl { get; init; }

    public string CredentialsStore { get; init; } = StoreFile;

    /// <summary>"chatgpt" (workspace sign-in: browser, device, access tokens) or "api" (API keys); null allows all.</summary>
    public string? ForcedLoginMethod { get; init; }

    public IReadOnlyList<string> ForcedWorkspaceIds { get; init; } = [];

    public IReadOnlyDictionary<string, ModelProviderConfig> ModelProviders { get; init; } = new Dictionary<string, ModelProviderConfig>();

    /// <summary>Which layer set each key that is set (e.g. "forced_login_method" → Managed).</summary>
    public IReadOnlyDictionary<string, ConfigLayer> Sources { get; init; } = new Dictionary<string, ConfigLayer>();

    public ConfigLayer SourceOf(string key) => Sources.TryGetValue(key, out var layer) ? layer : ConfigLayer.Default;

    /// <summary>Where each key was set: "set in /home/me/.latchkey/config.toml line 3", "set with -c", "set by your administrator in …".</summary>
    public IReadOnlyDictionary<string, string> Locations { get; init; } = new Dictionary<string, string>();

    /// <summary>Misspelt keys found while loading (one line each, naming file, line and the key meant).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>Where <paramref name="key"/> was set, for messages: the file and line, "set with -c", or "default".</summary>
    public string Describe(string key) => Locations.TryGetValue(key, out var where) ? where : "default";
}
