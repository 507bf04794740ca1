using Latchkey.Server.Accounts;
using Latchkey.Server.Configuration;
using Latchkey.Server.Keys;
using Latchkey.Server.Storage;
using Latchkey.Server.Storage.Repositories;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Hosting;

/// <summary>
/// Runs before the server accepts requests: applies migrations, makes sure a signing key exists and, on a server
/// with no accounts yet, prints a setup link for the first owner.
/// </summary>
public sealed partial class StartupInitializer(
    SchemaMigrator migrator,
    KeyRingProtection keyRing,
    SigningKeyService keys,
    UserRepository users,
    AccountService accounts,
    IOptions<LatchkeyServerOptions> options,
    ILogger<StartupInitializer> logger) : IHostedLifecycleService
{
    public Task StartingAsync(CancellationToken cancellationToken) => InitializeAsync(printSetupLink: true, cancellationToken);

    public async Task InitializeAsync(bool printSetupLink, CancellationToken cancellationToken)
    {
        await migrator.MigrateAsync(cancellationToken);
        await keyRing.ProtectAsync(cancellationToken);
        await keys.EnsureKeyAsync(cancellationToken);
        var codex = options.Value.Codex;
        if (codex.Enabled && !CodexOptions.IsCodexBackendOrigin(codex.ResolveWorkspaceBackendOrigin(options.Value.ResolveIssuer())))
        {
            LogCodexBackendOriginNotHttps(logger);
        }

        if (printSetupLink && await users.CountAsync(cancellationToken) == 0)
        {
            var link = await accounts.CreateSetupLinkAsync(cancellationToken);
            // The console is the operator's; the link is single-use and expires. It is not written to log sinks.
            await Console.Out.WriteLineAsync($"No accounts yet. Create the first owner account (single use, expires in 1 hour):{Environment.NewLine}  {link}");
            LogSetupLinkPrinted(logger);
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "Printed a setup link for the first owner account to the console")]
    private static partial void LogSetupLinkPrinted(ILogger logger);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Warning, Message = "The issuer is not https, so sign-in through codex app-server and the Codex TUI ends with 'workspace backend must use an HTTPS origin'. Set Latchkey:Codex:WorkspaceBackendOrigin to an https origin")]
    private static partial void LogCodexBackendOriginNotHttps(ILogger logger);
}
