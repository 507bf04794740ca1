using System.CommandLine;

namespace Latchkey.Cli.Commands;

internal static class TokenCommand
{
    public static Command Create(CliApp app)
    {
        var command = new Command("token", "Print a valid access token (refreshed if needed) for scripts: curl -H \"Authorization: Bearer $(latchkey token)\".");
        command.SetAction((result, ct) => app.RunAsync(result, async ctx =>
        {
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
