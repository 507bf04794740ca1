using System.CommandLine;
using System.CommandLine.Help;
using Latchkey.Cli.Commands;
using Latchkey.Client;
using Latchkey.Client.Login;

namespace Latchkey.Cli;

/// <summary>The `latchkey` command tree. Commands return exit codes; expected failures print one line.</summary>
public sealed class CliApp(CliConsole console)
{
    private readonly Option<string?> server = new("--server") { Description = "The Latchkey server URL (default: $LATCHKEY_SERVER).", Recursive = true };
    private readonly Option<bool> verbose = new("--verbose") { Description = "Print more detail about what is happening.", Recursive = true };
    private readonly Option<string[]> overrides = new("--config", "-c") { Description = "Override a config.toml setting: -c key=value (the value is TOML, else a string).", Recursive = true, Arity = ArgumentArity.ZeroOrMore, AllowMultipleArgumentsPerToken = false };

    internal IBrowserLauncher? Browser { get; init; }

    public RootCommand Build()
    {
        var root = new RootCommand("Latchkey: sign in to your organisation's Latchkey server from the command line.")
        {
            server, verbose, overrides,
        };
        root.Subcommands.Add(LoginCommand.Create(this));
        root.Subcommands.Add(LogoutCommand.Create(this));
        root.Subcommands.Add(TokenCommand.Create(this));
        root.Subcommands.Add(CodexCommand.Create(this));
        root.Subcommands.Add(CompletionCommand.Create(root));
        root.Subcommands.Add(ManPageCommand.Create(root));
        var help = root.Options.OfType<HelpOption>().Single();
        var withExamples = new HelpWithExamples((HelpAction)help.Action!);
        help.Action = withExamples;
        // Bare `latchkey` shows the help rather than a parse error.
        root.SetAction(withExamples.Invoke);
        return root;
    }

    public async Task<int> InvokeAsync(string[] args, CancellationToken cancellationToken = default)
    {
        var parse = Build().Parse(args);
        if (parse.Errors.Count > 0)
        {
            // Parse errors are data: one line each and the usage exit code, not a wall of help text.
            foreach (var error in parse.Errors)
            {
                await console.Error.WriteLineAsync(error.Message);
            }

            await console.Error.WriteLineAsync("Run `latchkey --help` for usage.");
            return ExitCodes.Usage;
        }

        return await parse.InvokeAsync(new InvocationConfiguration
        {
            Output = console.Out,
            Error = console.Error,
            // Ctrl+C cancels what can be cancelled, but a refresh already sent is finished and saved first (its answer
            // may be the only copy of the new refresh token), which can take up to one request timeout.
            ProcessTerminationTimeout = ClientComposition.RequestTimeout + TimeSpan.FromSeconds(5),
        }, cancellationToken);
    }

    internal async Task<int> RunAsync(ParseResult result, Func<CliContext, Task<int>> body, CancellationToken ct)
    {
        CliContext ctx;
        try
        {
            ctx = new CliContext(console, result.GetValue(server), result.GetValue(verbose), result.GetValue(overrides) ?? []) { Browser = Browser ?? new SystemBrowserLauncher() };
        }
        catch (UsageException ex)
        {
            await console.Error.WriteLineAsync(ex.Message);
            return ExitCodes.Usage;
        }
        catch (LatchkeyException ex)
        {
            await console.Error.WriteLineAsync(ex.Message);
            return ExitCodes.Failure;
        }

        using var _ = ctx;
        try
        {
            return await body(ctx);
        }
        catch (LatchkeyException ex) when (ex.Code == ErrorCodes.NoServer)
        {
            console.EndErrorLine();
            await console.Error.WriteLineAsync(ex.Message);
            return ExitCodes.Usage;
        }
        catch (UsageException ex)
        {
            console.EndErrorLine();
            await console.Error.WriteLineAsync(ex.Message);
            return ExitCodes.Usage;
        }
        catch (LatchkeyException ex)
        {
            console.EndErrorLine();
            await console.Error.WriteLineAsync(ex.Message);
            ctx.Detail($"(code: {ex.Code}{(ex.InnerException is null ? string.Empty : "; " + ex.InnerException.GetType().Name + ": " + ex.InnerException.Message)})");
            return ExitCodes.Failure;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            console.EndErrorLine();
            await console.Error.WriteLineAsync("Interrupted.");
            return ExitCodes.Interrupted;
        }
    }
}
