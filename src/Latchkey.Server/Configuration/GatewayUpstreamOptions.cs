namespace Latchkey.Server.Configuration;

/// <summary>One upstream model server: OpenAI, Azure OpenAI, a local model server. Each has its own key and header rules.</summary>
public sealed class GatewayUpstreamOptions
{
    /// <summary>Short name, used in usage events and metrics.</summary>
    public string Name { get; set; } = string.Empty;

    /// <summary>Every forwarded path stays under this URL's path (https://api.openai.com/v1, https://res.openai.azure.com/openai/v1, http://127.0.0.1:11434/v1).</summary>
    public string BaseUrl { get; set; } = string.Empty;

    /// <summary>The upstream's key. Empty: none is sent (a local server).</summary>
    public string? ApiKey { get; set; }

    /// <summary>`Authorization` (sent as `Bearer key`, OpenAI) or `api-key` (Azure OpenAI).</summary>
    public string ApiKeyHeader { get; set; } = "Authorization";

    /// <summary>Model names this upstream serves; a trailing `*` matches a prefix (`gpt-*`).</summary>
    public IList<string> Models { get; init; } = [];

    /// <summary>Paths under /v1 this upstream serves whatever the model (`embeddings`, `audio/`): segment prefixes, not stripped.</summary>
    public IList<string> PathPrefixes { get; init; } = [];

    /// <summary>Takes requests no prefix or model routes elsewhere (`GET /v1/models`, an unlisted model). At most one.</summary>
    public bool Default { get; set; }

    /// <summary>Sent as `OpenAI-Organization`; never taken from the caller.</summary>
    public string? Organization { get; set; }

    /// <summary>Sent as `OpenAI-Project`; never taken from the caller.</summary>
    public string? Project { get; set; }

    /// <summary>Workspace id → organisation/project billed for that workspace's requests (overrides the two above).</summary>
    public IDictionary<string, GatewayBillingOptions> Workspaces { get; init; } = new Dictionary<string, GatewayBillingOptions>(StringComparer.Ordinal);

    /// <summary>Caller headers passed on. Empty: <see cref="DefaultForwardHeaders"/>. Credentials, billing and forwarding headers can never be listed.</summary>
    public IList<string> ForwardHeaders { get; init; } = [];

    /// <summary>
    /// What the Responses and Chat Completions APIs read from a client besides the body and its key: the body's type,
    /// what answer is accepted (`text/event-stream` for streams), `Idempotency-Key` for safe retries, `OpenAI-Beta`
    /// for opt-in API versions, `X-Client-Request-Id` to trace a request in OpenAI's logs.
    /// </summary>
    public static IReadOnlyList<string> DefaultForwardHeaders { get; } = ["Content-Type", "Accept", "Idempotency-Key", "OpenAI-Beta", "X-Client-Request-Id"];
}
