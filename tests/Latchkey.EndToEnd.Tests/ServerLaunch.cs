namespace Latchkey.EndToEnd.Tests;

/// <summary>How the bench starts a server: which build (e.g. a ReadyToRun publish) and on which CPUs (taskset list).</summary>
public sealed record ServerLaunch(string? ServerDll = null, string? Cpus = null);
