namespace Latchkey.Cli.Commands;

/// <summary>
/// What `login status --check` learnt from the server: <see cref="Active"/> true or false when the server answered,
/// null when it could not be asked (an API key has no check endpoint; the server was unreachable).
/// </summary>
internal sealed record ServerVerification(string By, bool? Active, string Detail);
