using System.CommandLine;
using Latchkey.Client;

namespace Latchkey.Cli.Commands;

/// <summary>`latchkey codex setup`: points the real Codex CLI at this Latchkey server and at nothing else.</summary>
internal static class CodexCommand
{
    public static Command Create(CliApp app)
    {
        var codexHome = new Option<string?>("--codex-home") { Description = "Codex's home directory (default: $CODEX_HOME, else ~/.codex)." };
        var clientId = new Option<string>("--client-id") { Description = "The Codex client id registered at the server.", DefaultValueFactory = _ => "codex-cli" };
        var print = new Option<bool>("--print") { Description = "Show the config.toml and environment without writing anything." };
        var setup = new Command("setup", "Write Latchkey's model provider and backend URL into codex's config.toml and print the environment codex needs.")
        {
            codexHome, clientId, print,
        };
        setup.SetAction((result, ct) => app.RunAsync(result, async ctx =>
        {
            var server = ctx.Options.Server ?? throw new UsageException("Name the Latchkey server: --server https://latchkey.example.com (or set LATCHKEY_SERVER).");
            if (!Uri.TryCreate(server, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || !string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment))
            {
                throw new UsageException($"--server must be an http(s) URL without query or fragment (got '{server}').");
            }

            var home = result.GetValue(codexHome) ?? ctx.Console.GetEnvironmentVariable("CODEX_HOME")
                ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".codex");
            var path = Path.Combine(Path.GetFullPath(home), "config.toml");
            var existing = File.Exists(path) ? await File.ReadAllTextAsync(path, ct) : null;
            var (merged, problem) = CodexConfigMerge.Merge(existing, server, path);
            if (merged is null)
            {
                throw new LatchkeyException(ErrorCodes.ConfigInvalid, problem!);
            }

            var id = result.GetValue(clientId)!;
            if (result.GetValue(print))
            {
                await ctx.Console.Out.WriteLineAsync($"# {path} (not written)");
                await ctx.Console.Out.WriteAsync(merged);
                await ctx.Console.Out.WriteLineAsync();
            }
            else if (merged != existing)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                await WriteAtomicallyAsync(path, merged, ct);
                await ctx.Console.Out.WriteLineAsync($"Updated {path}: model provider '{CodexConfigMerge.ProviderId}' ({server}/v1) and chatgpt_base_url ({server}/backend-api); update check, analytics, plugins and apps off (they call OpenAI and GitHub).");
            }
            else
            {
                await ctx.Console.Out.WriteLineAsync($"{path} already points codex at {server}.");
            }

            foreach (var line in Instructions(server, id))
            {
                await ctx.Console.Out.WriteLineAsync(line);
            }

            return ExitCodes.Success;
        }, ct));
        return new Command("codex", "Set up the OpenAI Codex CLI to sign in to and run through this Latchkey server.") { setup };
    }

    /// <summary>What config.toml cannot carry: codex reads these URLs from the environment or the command line only.</summary>
    public static IEnumerable<string> Instructions(string server, string clientId)
    {
        yield return string.Empty;
        yield return "Set these in the shell that runs codex (config.toml cannot carry them):";
        yield return $"  export CODEX_REVOKE_TOKEN_URL_OVERRIDE={server}/oauth/revoke";
        yield return $"  export CODEX_AUTHAPI_BASE_URL={server}/api/accounts";
        yield return $"  export CODEX_APP_SERVER_LOGIN_ISSUER={server}";
        yield return $"  export CODEX_APP_SERVER_LOGIN_CLIENT_ID={clientId}";
        yield return "Sign in:";
        yield return $"  codex login --device-auth --experimental_issuer {server} --experimental_client-id {clientId}";
        yield return "Automation (an at- access token from the Latchkey console):";
        yield return "  printenv LATCHKEY_ACCESS_TOKEN | codex login --with-access-token";
        yield return "  codex exec --skip-git-repo-check \"...\"";
    }

    private static async Task WriteAtomicallyAsync(string path, string text, CancellationToken ct)
    {
        var temp = path + ".latchkey-" + Guid.NewGuid().ToString("N")[..8] + ".tmp";
        try
        {
            await File.WriteAllTextAsync(temp, text, ct);
            if (!OperatingSystem.IsWindows() && File.Exists(path))
            {
                // Keep the user's permissions on their file.
                File.SetUnixFileMode(temp, File.GetUnixFileMode(path));
            }

            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
    }
}
