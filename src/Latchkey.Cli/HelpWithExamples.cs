using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;

namespace Latchkey.Cli;

/// <summary>The framework's help, followed by what people look for next: examples, environment variables, exit codes.</summary>
internal sealed class HelpWithExamples(HelpAction standard) : SynchronousCommandLineAction
{
    public override int Invoke(ParseResult parseResult)
    {
        ArgumentNullException.ThrowIfNull(parseResult);
        var code = standard.Invoke(parseResult);
        var output = parseResult.InvocationConfiguration.Output;
        var extra = parseResult.CommandResult.Command switch
        {
            RootCommand => Root,
            { Name: "login" } => Login,
            _ => null,
        };
        if (extra is not null)
        {
            output.Write(extra);
        }

        return code;
    }

    private const string Login = """
        Examples:
          latchkey login --server https://login.example.com     sign in with your browser
          latchkey login --device-auth                          sign in with a code, on SSH or headless machines
          printenv LATCHKEY_ACCESS_TOKEN | latchkey login --with-access-token
          latchkey login status --check                         ask the server whether the sign-in still holds

        """;

    /// <summary>What the root help and the man page (`latchkey manpage`) both show, written once.</summary>
    internal static readonly (string Command, string What)[] RootExamples =
    [
        ("latchkey login --server https://login.example.com", "sign in with your browser"),
        ("latchkey login status", "who you are signed in as"),
        ("curl -H \"Authorization: Bearer $(latchkey token)\" https://login.example.com/api/v1/me", string.Empty),
        ("latchkey logout", "revoke the sign-in and forget it"),
        ("latchkey completion bash > ~/.local/share/bash-completion/completions/latchkey", string.Empty),
        ("latchkey manpage > ~/.local/share/man/man1/latchkey.1", string.Empty),
    ];

    internal static readonly (string Name, string What)[] EnvironmentVariables =
    [
        ("LATCHKEY_SERVER", "server URL when --server is not given (else server_url in config.toml)"),
        ("LATCHKEY_HOME", "where credentials and config.toml live (default ~/.latchkey)"),
        ("LATCHKEY_ACCESS_TOKEN", "an automation access token (at-…) used without being stored"),
        ("LATCHKEY_API_KEY", "an API key (sk-lk-…) used without being stored"),
        ("LATCHKEY_MANAGED_CONFIG", "the administrator's managed_config.toml (default /etc/latchkey/managed_config.toml)"),
    ];

    internal static readonly (int Code, string What)[] ExitCodeMeanings =
    [
        (ExitCodes.Success, "success"),
        (ExitCodes.Failure, "failure or not signed in"),
        (ExitCodes.Usage, "usage error"),
        (ExitCodes.Interrupted, "interrupted"),
    ];

    private static readonly string Root = RenderRoot();

    private static string RenderRoot()
    {
        var sb = new System.Text.StringBuilder("Examples:\n");
        foreach (var (command, what) in RootExamples)
        {
            sb.Append("  ").Append(what.Length == 0 ? command : command.PadRight(52) + "  " + what).Append('\n');
        }

        sb.Append("\nEnvironment variables:\n");
        foreach (var (name, what) in EnvironmentVariables)
        {
            sb.Append("  ").Append(name.PadRight(25)).Append(what).Append('\n');
        }

        sb.Append("\nExit codes:\n  ").Append(string.Join(" · ", ExitCodeMeanings.Select(e => $"{e.Code} {e.What}"))).Append('\n');
        return sb.ToString();
    }
}
