using Latchkey.Server.Storage.Rows;

namespace Latchkey.Server.Sso;

/// <summary>The decision for one upstream sign-in; <see cref="Message"/> is what the person is told when not signed in.</summary>
public sealed record ExternalSignInResult(ExternalSignInOutcome Outcome, UserRow? User, string? Message, string? LinkedBy = null);
