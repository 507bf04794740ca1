namespace Latchkey.Server.Workspaces;

/// <summary>What an action is aimed at, where the answer depends on it. Unset fields do not take part.</summary>
public sealed record AccessTarget
{
    public static readonly AccessTarget None = new();

    /// <summary>A token of someone other than the caller (user ids are never empty): "may they act on everyone's tokens?"</summary>
    public static readonly AccessTarget AnotherPersonsToken = new() { CredentialOwnerId = string.Empty };

    /// <summary>The person an access token belongs to (it authenticates as them).</summary>
    public string? CredentialOwnerId { get; init; }

    /// <summary>The member being changed, when it matters who they are (one's own factors are reset elsewhere).</summary>
    public string? MemberUserId { get; init; }

    /// <summary>
    /// The member being changed also belongs to another organisation's workspace (their own personal workspace aside):
    /// their account, and so its second factor, guards that workspace too.
    /// </summary>
    public bool MemberBelongsElsewhere { get; init; }

    /// <summary>The current role of the member being changed or removed.</summary>
    public string? MemberRole { get; init; }

    /// <summary>The role being handed out (by a role change or an invitation).</summary>
    public string? GrantedRole { get; init; }

    /// <summary>The client is a local one (CLI, Codex, client library): the local-access policy applies to it.</summary>
    public bool LocalClient { get; init; } = true;

    /// <summary>
    /// How the sign-in that asks signed in (RFC 8176 amr), where tokens are handed out or refreshed for it: the
    /// workspace's phishing-resistant MFA policy is decided on it. Null where no sign-in is asking (an `at-` token of
    /// automation, an API key), which that policy does not govern.
    /// </summary>
    public string? SignInAmr { get; init; }

    /// <summary>The signed-in person has switched device sign-in off for their own account.</summary>
    public bool DeviceSignInOffForAccount { get; init; }
}
