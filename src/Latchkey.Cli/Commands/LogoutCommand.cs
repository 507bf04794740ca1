using System.CommandLine;
using Latchkey.Client;

namespace Latchkey.Cli.Commands;

internal static class LogoutCommand
{
    public static Command Create(CliApp app)
    {
        var command = new Command("logout", "Revoke the sign-in at the server and remove the stored credential.");
        command.SetAction((result, ct) => app.RunAsync(result, async ctx =>
        {
            var outcome = await ctx.Auth.LogoutAsync(ct);
            ctx.Console.Out.WriteLine(outcome switch
            {
                LogoutResult.NotSignedIn => "Not logged in",
                LogoutResult.RevokedAndRemoved => "Logged out. The session was revoked on the server.",
                LogoutResult.RemovedServerUnreachable => "Logged out locally. The server could not be reached, so the session stays valid until it expires.",
                LogoutResult.RemovedUnreadable => "Removed an unreadable credential file. Logged out.",
                _ => "Logged out.",
            });
            return outcome == LogoutResult.NotSignedIn ? ExitCodes.Failure : ExitCodes.Success;
        }, ct));
        return command;
    }
}
