using System.Text.Json.Nodes;
using Latchkey.Server.Storage.Rows;
using Latchkey.Server.Workspaces;

namespace Latchkey.Server.OAuth;

/// <summary>
/// Who is calling a bearer endpoint, worked out once per request by <see cref="BearerAuthenticationHandler"/>: the
/// user (none for an API key), their standing in the credential's workspace as it is now, and the credential.
/// </summary>
public sealed record Caller
{
    /// <summary>One of <see cref="CredentialKinds"/>.</summary>
    public required string CredentialKind { get; init; }

    /// <summary>The grant id (sign-in token), access-token id or API-key id.</summary>
    public required string CredentialId { get; init; }

    public required WorkspaceRow Workspace { get; init; }

    /// <summary>Null for an API key, which belongs to the workspace rather than to a person.</summary>
    public WorkspaceAccess? Member { get; init; }

    public string? Email { get; init; }

    /// <summary>The OAuth client of a sign-in; "access_token" or "api_key" for the other kinds.</summary>
    public required string ClientId { get; init; }

    /// <summary>The grant the credential stands for (an access token has a grant of the same id); null for API keys.</summary>
    public string? GrantId { get; init; }

    /// <summary>The verified claims of a sign-in token.</summary>
    public JsonObject? Claims { get; init; }

    /// <summary>When an access token expires (Unix ms); null when it never does or for other kinds.</summary>
    public long? ExpiresAt { get; init; }

    public string WorkspaceId => Workspace.Id;

    public string? UserId => Member?.UserId;

    public string? Role => Member?.Role;

    public IReadOnlySet<string> Permissions => Member?.Permissions ?? NoPermissions;

    private static readonly HashSet<string> NoPermissions = [];
}
