namespace Latchkey.Server.Tests.Infrastructure;

public sealed record TestUser(string Id, string Email, string Password, string TotpSecret, string WorkspaceId);
