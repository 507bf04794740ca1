namespace Latchkey.EndToEnd.Tests;

/// <summary>
/// How a test or the bench starts a server: which build (e.g. a ReadyToRun publish), on which CPUs (taskset list), and
/// the host name of its issuer URL (passkeys need a domain: WebAuthn refuses an IP address as relying party id).
/// </summary>
public sealed record ServerLaunch(string? ServerDll = null, string? Cpus = null, string IssuerHost = "127.0.0.1");
