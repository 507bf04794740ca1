using Latchkey.Server.Common;

namespace Latchkey.Server.Workspaces;

/// <summary>How <see cref="AccessRules.Decide"/> answered.</summary>
public enum AccessOutcome
{
    Allowed,

    /// <summary>The caller may not even see this part of the workspace: 404, the same answer as for something absent.</summary>
    Hidden,

    /// <summary>The caller sees it but may not do this: 403 with a code.</summary>
    Refused,

    /// <summary>The workspace's policy says no: 403 with the message the workspace shows (codex prints it verbatim).</summary>
    DeniedByPolicy,
}

/// <summary>One answer of the decision table: the outcome, a stable code and the sentence a person reads.</summary>
public sealed record AccessDecision(AccessOutcome Outcome, string Code, string Message)
{
    public static readonly AccessDecision Allow = new(AccessOutcome.Allowed, "ok", string.Empty);

    public bool IsAllowed => Outcome == AccessOutcome.Allowed;

    /// <summary>Null when allowed; otherwise the error every surface returns (API problem, page status, OAuth refusal).</summary>
    public ServiceError? ToError() => Outcome switch
    {
        AccessOutcome.Allowed => null,
        AccessOutcome.Hidden => new ServiceError(StatusCodes.Status404NotFound, Code, Message),
        _ => new ServiceError(StatusCodes.Status403Forbidden, Code, Message),
    };
}
