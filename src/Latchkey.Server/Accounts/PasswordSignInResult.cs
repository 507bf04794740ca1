using Latchkey.Server.Storage.Rows;

namespace Latchkey.Server.Accounts;

public sealed record PasswordSignInResult(SignInOutcome Outcome, UserRow? User);
