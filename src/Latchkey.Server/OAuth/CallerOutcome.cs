using Latchkey.Server.Common;

namespace Latchkey.Server.OAuth;

/// <summary>The caller, or why there is none; kept on the request so it is resolved once.</summary>
public sealed record CallerOutcome(Caller? Caller, ServiceError? Refusal, bool CredentialPresented)
{
    public static CallerOutcome Of(Caller caller) => new(caller, null, true);

    public static CallerOutcome Refused(ServiceError refusal, bool presented = true) => new(null, refusal, presented);
}
