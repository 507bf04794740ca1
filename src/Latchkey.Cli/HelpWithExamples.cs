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

    private const string Root = """
        Examples:
          latchkey login --server https://login.example.com     sign in with your browser
          latchkey login status                                 who you are signed in as
          curl -H "Authorization: Bearer $(latchkey token)" https://login.example.com/api/v1/me
          latchkey logout                                       revoke the sign-in and forget it
          latchkey completion bash > ~/.local/share/bash-completion/completions/latchkey

        Environment variables:
          LATCHKEY_SERVER          server URL when --server is not given (else server_url in config.toml)
          LATCHKEY_HOME            where credentials and config.toml live (default ~/.latchkey)
          LATCHKEY_ACCESS_TOKEN    an automation access token (at-…) used without being stored
          LATCHKEY_API_KEY         an API key (sk-lk-…) used without being stored
          LATCHKEY_MANAGED_CONFIG  the administrator's managed_config.toml (default /etc/latchkey/managed_config.toml)

        Exit codes:
          0 success · 1 failure or not signed in · 2 usage error · 130 interrupted

        """;
}
