namespace Latchkey.Client.Configuration;

/// <summary>`[model_providers.&lt;id&gt;]`, as in the Codex config.</summary>
internal sealed record ModelProviderConfig
{
    public required string Id { get; init; }

    public string? Name { get; init; }

    public string? BaseUrl { get; init; }

    /// <summary>Use the signed-in Latchkey credential (refreshed) as the bearer.</summary>
    public bool RequiresOpenAiAuth { get; init; }

    /// <summary>Take the key from this environment variable instead.</summary>
    public string? EnvKey { get; init; }

    public string? EnvKeyInstructions { get; init; }
}
