using System.CommandLine;

namespace Latchkey.Cli.Commands;

internal static class TokenCommand
{
    public static Command Create(CliApp app)
    {
        var provider = new Option<string?>("--provider") { Description = "Print the credential for this [model_providers.<id>] instead." };
        var command = new Command("token", "Print a valid access token (refreshed if needed) for scripts: curl -H \"Authorization: Bearer $(latchkey token)\".") { provider };
        command.SetAction((result, ct) => app.RunAsync(result, async ctx =>
        {
            if (result.GetValue(provider) is { } providerId)
            {
                var key = await ctx.Auth.GetProviderCredentialAsync(providerId, ct);
                if (key is null)
                {
                    ctx.Console.Error.WriteLine($"Model provider '{providerId}' needs no credential.");
                    return ExitCodes.Success;
                }

                ctx.Console.Out.WriteLine(key);
                return ExitCodes.Success;
            }

            var credential = await ctx.Auth.GetCredentialAsync(ct);
            if (credential.Method == Client.Credentials.LoginMethod.AccessToken && (ctx.Options.Server ?? credential.Server) is { } server)
            {
                // Access tokens are checked at every use: revoked or expired ones fail here, with what to do.
                await new AccessTokenCheck(ctx.Http).WhoAmIAsync(server, credential.BearerToken, ct);
            }

            ctx.Console.Out.WriteLine(credential.BearerToken);
            return ExitCodes.Success;
        }, ct));
        return command;
    }
}
