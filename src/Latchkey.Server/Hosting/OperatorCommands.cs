using Latchkey.Server.Accounts;
using Latchkey.Server.Keys;
using Latchkey.Server.Sso;
using Latchkey.Server.Storage;

namespace Latchkey.Server.Hosting;

/// <summary>
/// `Latchkey.Server migrate | setup-link | rotate-keys | verify-email ADDRESS | disable-account ADDRESS | enable-account ADDRESS | reset-mfa ADDRESS | confirm-sso-domain DOMAIN | backup FILE [settings]`: run one operator task against the
/// configured database and exit. Settings (flags, env vars, appsettings) are the same as for serving.
/// </summary>
public static class OperatorCommands
{
    public static readonly IReadOnlyList<string> Names = ["migrate", "setup-link", "rotate-keys", "verify-email", "disable-account", "enable-account", "reset-mfa", "confirm-sso-domain", "backup"];

    public static bool IsOperatorCommand(string[] args) => args.Length > 0 && Names.Contains(args[0], StringComparer.Ordinal);

    /// <summary>The arguments that are settings: without the command and its operand (a backup file named "/x" is not a switch).</summary>
    public static string[] SettingsArgs(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (!IsOperatorCommand(args))
        {
            return args;
        }

        return args[0] is "backup" or "verify-email" or "disable-account" or "enable-account" or "reset-mfa" or "confirm-sso-domain" && args.Length > 1 && !args[1].StartsWith("--", StringComparison.Ordinal) ? args[2..] : args[1..];
    }

    public static async Task<int> RunAsync(WebApplication app, string[] args)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(args);
        var command = args[0];
        var services = app.Services;
        var init = services.GetRequiredService<StartupInitializer>();
        switch (command)
        {
            case "migrate":
                var applied = await services.GetRequiredService<SchemaMigrator>().MigrateAsync(CancellationToken.None);
                await init.InitializeAsync(printSetupLink: false, CancellationToken.None);
                Console.WriteLine(applied.Count == 0 ? "Schema is up to date." : $"Applied: {string.Join(", ", applied)}");
                return 0;
            case "setup-link":
                await init.InitializeAsync(printSetupLink: false, CancellationToken.None);
                var link = await services.GetRequiredService<AccountService>().CreateSetupLinkAsync(CancellationToken.None);
                Console.WriteLine($"Setup link (single use, expires in 1 hour):{Environment.NewLine}  {link}");
                return 0;
            case "rotate-keys":
                await init.InitializeAsync(printSetupLink: false, CancellationToken.None);
                var (kid, activatesAt) = await services.GetRequiredService<SigningKeyService>().RotateAsync(CancellationToken.None);
                Console.WriteLine($"New signing key {kid} is published now and signs from {activatesAt:u}, once every instance has it; the previous key stays in JWKS until its tokens expire.");
                return 0;
            case "verify-email":
                if (args.Length < 2 || args[1].StartsWith('-'))
                {
                    await Console.Error.WriteLineAsync("Usage: verify-email ADDRESS  (after you have confirmed the person controls that address)");
                    return 2;
                }

                await init.InitializeAsync(printSetupLink: false, CancellationToken.None);
                var verified = await services.GetRequiredService<AccountService>().MarkEmailVerifiedAsync(args[1], "operator", CancellationToken.None);
                if (verified is null)
                {
                    await Console.Error.WriteLineAsync($"No account has the address {args[1]}.");
                    return 1;
                }

                Console.WriteLine(verified.Value
                    ? $"{args[1]} is now verified: id_tokens and userinfo say email_verified=true."
                    : $"{args[1]} was already verified.");
                return 0;
            case "disable-account" or "enable-account":
                if (args.Length < 2 || args[1].StartsWith('-'))
                {
                    await Console.Error.WriteLineAsync($"Usage: {command} ADDRESS");
                    return 2;
                }

                await init.InitializeAsync(printSetupLink: false, CancellationToken.None);
                var disabling = services.GetRequiredService<AccountDisabling>();
                var disable = command == "disable-account";
                var switched = disable
                    ? await disabling.DisableAsync(args[1], "operator", CancellationToken.None)
                    : await disabling.EnableAsync(args[1], "operator", CancellationToken.None);
                if (switched is null)
                {
                    await Console.Error.WriteLineAsync($"No account has the address {args[1]}.");
                    return 1;
                }

                Console.WriteLine((disable, switched.Value) switch
                {
                    (true, true) => $"{args[1]} is disabled: its web sessions are ended, its sign-ins and access tokens revoked, and it cannot sign in.",
                    (true, false) => $"{args[1]} was already disabled; anything still live for it has been ended.",
                    (false, true) => $"{args[1]} is enabled: it can sign in again (its old sessions and tokens stay revoked).",
                    (false, false) => $"{args[1]} was not disabled.",
                });
                return 0;
            case "reset-mfa":
                if (args.Length < 2 || args[1].StartsWith('-'))
                {
                    await Console.Error.WriteLineAsync("Usage: reset-mfa ADDRESS  (after you have confirmed who is asking: it removes every second factor of that account)");
                    return 2;
                }

                await init.InitializeAsync(printSetupLink: false, CancellationToken.None);
                var reset = await services.GetRequiredService<AccountService>().ResetMfaByEmailAsync(args[1], "operator", CancellationToken.None);
                if (reset is null)
                {
                    await Console.Error.WriteLineAsync($"No account has the address {args[1]}.");
                    return 1;
                }

                Console.WriteLine($"{args[1]}: every second factor is removed and every session and CLI sign-in ended; they set up a new one at their next sign-in.");
                return 0;
            case "confirm-sso-domain":
                if (args.Length < 2 || args[1].StartsWith('-'))
                {
                    await Console.Error.WriteLineAsync("Usage: confirm-sso-domain DOMAIN  (after you have confirmed the claiming workspace controls that domain)");
                    return 2;
                }

                await init.InitializeAsync(printSetupLink: false, CancellationToken.None);
                var confirmed = await services.GetRequiredService<SsoDomainService>().ConfirmAsync(args[1], CancellationToken.None);
                if (confirmed is null)
                {
                    await Console.Error.WriteLineAsync($"No workspace has a pending claim for {args[1]}.");
                    return 1;
                }

                Console.WriteLine($"{confirmed.Domain} is confirmed for workspace {confirmed.WorkspaceId} (provider {confirmed.Provider}); its admins can now require single sign-on and just-in-time membership for it.");
                return 0;
            case "backup":
                var target = args.Length > 1 && !args[1].StartsWith("--", StringComparison.Ordinal) ? args[1] : null;
                return await SqliteBackup.RunAsync(services.GetRequiredService<IDbConnectionFactory>(), target, Console.Out, Console.Error, CancellationToken.None);
            default:
                await Console.Error.WriteLineAsync($"Unknown command '{command}'. Commands: {string.Join(", ", Names)}.");
                return 2;
        }
    }
}
