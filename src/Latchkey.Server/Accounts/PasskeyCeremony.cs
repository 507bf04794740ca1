namespace Latchkey.Server.Accounts;

/// <summary>
/// A WebAuthn ceremony begun: the options for <c>navigator.credentials.create/get</c> (JSON) and the random handle the
/// browser keeps in its ceremony cookie. Only the handle's digest is stored, beside the options.
/// </summary>
public sealed record PasskeyCeremony(string OptionsJson, string Handle);
