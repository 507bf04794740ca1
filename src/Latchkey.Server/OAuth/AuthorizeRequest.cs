namespace Latchkey.Server.OAuth;

/// <summary>An authorization request that passed validation (RFC 6749 §4.1.1, RFC 7636 §4.3).</summary>
public sealed record AuthorizeRequest
{
    public required RegisteredClient Client { get; init; }

    public required string RedirectUri { get; init; }

    public string? State { get; init; }

    public required string Scope { get; init; }

    public required string CodeChallenge { get; init; }

    public string? Nonce { get; init; }

    public string? Prompt { get; init; }

    /// <summary>From `allowed_workspace_id` (comma-separated, codex-compat.md); empty means any.</summary>
    public required IReadOnlyList<string> AllowedWorkspaceIds { get; init; }
}
