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
            ctx.Console.Out.WriteLine(credential.BearerToken);
            return ExitCodes.Success;
        }, ct));
        return command;
    }
}
