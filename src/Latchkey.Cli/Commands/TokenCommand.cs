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
                var key = await ctx.Client.GetProviderCredentialAsync(providerId, ct);
                if (key is null)
                {
                    ctx.Console.Error.WriteLine($"Model provider '{providerId}' needs no credential.");
                    return ExitCodes.Success;
                }

                ctx.Console.Out.WriteLine(key);
                return ExitCodes.Success;
            }

            // The library's composition: refreshed sign-ins, restrictions enforced, access tokens checked with the server.
            var credential = await ctx.Client.GetTokenAsync(ct);
            ctx.Console.Out.WriteLine(credential.BearerToken);
            return ExitCodes.Success;
        }, ct));
        return command;
    }
}
