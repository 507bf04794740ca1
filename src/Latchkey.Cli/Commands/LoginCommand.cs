using System.CommandLine;
using Latchkey.Client;
using Latchkey.Client.Credentials;
using Latchkey.Client.Login;
using Latchkey.Client.OAuth;

namespace Latchkey.Cli.Commands;

internal static class LoginCommand
{
    private static readonly TimeSpan BrowserTimeout = TimeSpan.FromMinutes(10);

    public static Command Create(CliApp app)
    {
        var deviceAuth = new Option<bool>("--device-auth") { Description = "Sign in with a code on another device (RFC 8628): for SSH sessions and machines without a browser." };
        var withApiKey = new Option<bool>("--with-api-key") { Description = "Read an API key (sk-lk-…) from stdin, check it with the server, and store it." };
        var withAccessToken = new Option<bool>("--with-access-token") { Description = "Read an automation access token (at-…) from stdin, check it with the server, and store it." };
        var command = new Command("login", "Sign in to a Latchkey server (browser sign-in unless told otherwise).")
        {
            deviceAuth, withApiKey, withAccessToken, StatusCommand.Create(app),
        };
        command.SetAction((result, ct) => app.RunAsync(result, ctx =>
        {
            var chosen = new[] { result.GetValue(deviceAuth), result.GetValue(withApiKey), result.GetValue(withAccessToken) }.Count(b => b);
            if (chosen > 1)
            {
                throw new UsageException("Choose one of --device-auth, --with-api-key and --with-access-token.");
            }

            EnsureKeyringUsable(ctx);
            return result.GetValue(withApiKey) ? LoginWithSecretAsync(ctx, LoginMethod.ApiKey, ct)
                : result.GetValue(withAccessToken) ? LoginWithSecretAsync(ctx, LoginMethod.AccessToken, ct)
                : LoginInteractiveAsync(ctx, result.GetValue(deviceAuth), ct);
        }, ct));
        return command;
    }

    /// <summary>
    /// A keyring that cannot be used is found out before anyone approves a sign-in in the browser, not after (when the
    /// approved grant would be left behind with nowhere to keep it).
    /// </summary>
    private static void EnsureKeyringUsable(CliContext ctx)
    {
        if (ctx.Options.Config.CredentialsStore == Client.Configuration.LatchkeyConfig.StoreKeyring && !KeyringCredentialStore.Probe(out var reason))
        {
            throw new LatchkeyException(ErrorCodes.CredentialStoreUnavailable,
                $"cli_auth_credentials_store = \"keyring\" ({ctx.Options.Config.Describe("cli_auth_credentials_store")}), but the OS keyring is not usable: {reason?.TrimEnd('.')}. Set cli_auth_credentials_store = \"file\" (or \"auto\") instead.");
        }
    }

    private static async Task<int> LoginInteractiveAsync(CliContext ctx, bool device, CancellationToken ct)
    {
        ctx.Auth.CheckLoginMethodAllowed(LoginMethod.Workspace);
        var server = ctx.RequireServer();
        ctx.Detail($"Discovering {server} ...");
        var metadata = await ctx.OAuth.DiscoverAsync(server, ct);
        var ui = new ConsoleLoginUi(ctx.Console);
        TokenResponse tokens;
        if (device)
        {
            try
            {
                tokens = await new DeviceLogin(ctx.OAuth, ui, TimeProvider.System).RunAsync(metadata, ctx.Options.ClientId, ct);
            }
            catch (LatchkeyException ex) when (ex.Code == ErrorCodes.DeviceAuthDisabled)
            {
                ui.ShowNotice("Device sign-in is switched off on this server; using the browser sign-in instead.");
                tokens = await BrowserAsync(ctx, metadata, ui, ct);
            }
        }
        else
        {
            tokens = await BrowserAsync(ctx, metadata, ui, ct);
        }

        var auth = await ctx.Auth.CompleteLoginAsync(tokens, metadata.Issuer!, ctx.Options.ClientId, ct);
        var email = TokenClaims.GetEmail(auth.Tokens!.IdToken);
        ctx.Console.EndErrorLine();
        ctx.Console.Out.WriteLine($"Successfully logged in{(email is null ? string.Empty : " as " + email)}.");
        return ExitCodes.Success;
    }

    private static Task<TokenResponse> BrowserAsync(CliContext ctx, ServerMetadata metadata, ConsoleLoginUi ui, CancellationToken ct)
        => new BrowserLogin(ctx.OAuth, ctx.Http, ctx.Browser, ui) { PreferredPort = ctx.LoginPort }
            .RunAsync(metadata, ctx.Options.ClientId, ctx.Options.AllowedWorkspaceIds, BrowserTimeout, ct);

    private static async Task<int> LoginWithSecretAsync(CliContext ctx, LoginMethod method, CancellationToken ct)
    {
        ctx.Auth.CheckLoginMethodAllowed(method);
        var server = ctx.RequireServer();
        var flag = method == LoginMethod.ApiKey ? "--with-api-key" : "--with-access-token";
        var envName = method == LoginMethod.ApiKey ? "LATCHKEY_API_KEY" : "LATCHKEY_ACCESS_TOKEN";
        if (ctx.Console.InputIsTerminal)
        {
            // Typed secrets land in scrollback; arguments land in shell history and `ps`. Only a pipe is accepted.
            throw new UsageException($"{flag} reads the secret from stdin; pipe it in, e.g. `printenv {envName} | latchkey login {flag}`.");
        }

        var secret = (await ctx.Console.In.ReadToEndAsync(ct)).Trim();
        if (secret.Length == 0)
        {
            throw new UsageException($"Nothing was read from stdin. Pipe the secret in: `printenv {envName} | latchkey login {flag}`.");
        }

        if (method == LoginMethod.ApiKey)
        {
            await ctx.Client.LoginWithApiKeyAsync(server, secret, ct);
            ctx.Console.Out.WriteLine($"Successfully logged in with API key {Protocol.Tokens.TokenFormat.Mask(secret)} (checked with {server}).");
            return ExitCodes.Success;
        }

        var who = await ctx.Client.LoginWithAccessTokenAsync(server, secret, ct);
        ctx.Console.Out.WriteLine($"Successfully logged in with access token {Protocol.Tokens.TokenFormat.Mask(secret)}{(who.Email is null ? string.Empty : " for " + who.Email)}.");
        return ExitCodes.Success;
    }
}
