using Latchkey.Cli.Commands;
using Latchkey.Client.Configuration;
using Tomlyn.Model;

namespace Latchkey.Cli.Tests;

/// <summary>`latchkey codex setup`: codex's config.toml merged in place, the user's other settings kept.</summary>
public sealed class CodexSetupTests : IDisposable
{
    private const string Server = "https://latchkey.example.com";
    private readonly CliHarness cli = new();
    private readonly string codexHome = Path.Combine(Path.GetTempPath(), "latchkey-codexhome-" + Guid.NewGuid().ToString("N"));

    private string ConfigPath => Path.Combine(codexHome, "config.toml");

    public void Dispose()
    {
        cli.Dispose();
        if (Directory.Exists(codexHome))
        {
            Directory.Delete(codexHome, recursive: true);
        }
    }

    private Task<(int ExitCode, string Out, string Err)> SetupAsync(params string[] extra)
        => cli.RunAsync(null, false, ["codex", "setup", "--server", Server, "--codex-home", codexHome, .. extra]);

    [Fact]
    public async Task Setup_without_a_config_writes_one_codex_loads_and_prints_the_environment()
    {
        var (code, output, error) = await SetupAsync();

        Assert.True(code == 0, error);
        var toml = TomlReader.Parse(await File.ReadAllTextAsync(ConfigPath));
        Assert.Equal("latchkey", toml["model_provider"]);
        Assert.Equal(Server + "/backend-api", toml["chatgpt_base_url"]);
        var provider = (TomlTable)((TomlTable)toml["model_providers"])["latchkey"];
        Assert.Equal("Latchkey", provider["name"]);
        Assert.Equal(Server + "/v1", provider["base_url"]);
        Assert.Equal("responses", provider["wire_api"]);
        Assert.Equal(true, provider["requires_openai_auth"]);
        Assert.Contains($"CODEX_REVOKE_TOKEN_URL_OVERRIDE={Server}/oauth/revoke", output, StringComparison.Ordinal);
        Assert.Contains($"CODEX_AUTHAPI_BASE_URL={Server}/api/accounts", output, StringComparison.Ordinal);
        Assert.Contains($"codex login --device-auth --experimental_issuer {Server} --experimental_client-id codex-cli", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Setup_keeps_the_users_other_settings_and_comments_and_replaces_its_own_table()
    {
        Directory.CreateDirectory(codexHome);
        const string before = """
            # my settings
            model = "gpt-5"
            model_provider = "openai"

            [model_providers.latchkey]
            name = "old"
            base_url = "https://old.example.com/v1"
            env_key = "OLD"

            [model_providers.other]
            name = "Other"
            base_url = "https://other.example.com/v1"

            [projects."/src/app"]
            trust_level = "trusted"
            """;
        await File.WriteAllTextAsync(ConfigPath, before);

        Assert.Equal(0, (await SetupAsync()).ExitCode);

        var after = await File.ReadAllTextAsync(ConfigPath);
        Assert.Contains("# my settings", after, StringComparison.Ordinal);
        var toml = TomlReader.Parse(after);
        Assert.Equal("gpt-5", toml["model"]);
        Assert.Equal("latchkey", toml["model_provider"]);
        var providers = (TomlTable)toml["model_providers"];
        Assert.Equal("Other", ((TomlTable)providers["other"])["name"]);
        Assert.False(((TomlTable)providers["latchkey"]).ContainsKey("env_key"));
        Assert.Equal("trusted", ((TomlTable)((TomlTable)toml["projects"])["/src/app"])["trust_level"]);

        // Running it again changes nothing.
        Assert.Equal(0, (await SetupAsync()).ExitCode);
        Assert.Equal(after, await File.ReadAllTextAsync(ConfigPath));
    }

    [Fact]
    public async Task Setup_refuses_to_clobber_a_file_it_cannot_parse()
    {
        Directory.CreateDirectory(codexHome);
        const string broken = "model = \"gpt-5\"\n[model_providers\n";
        await File.WriteAllTextAsync(ConfigPath, broken);

        var (code, _, error) = await SetupAsync();

        Assert.Equal(1, code);
        Assert.Contains("left unchanged", error, StringComparison.Ordinal);
        Assert.Equal(broken, await File.ReadAllTextAsync(ConfigPath));
    }

    [Fact]
    public async Task Print_shows_the_merged_file_and_writes_nothing()
    {
        var (code, output, _) = await SetupAsync("--print");

        Assert.Equal(0, code);
        Assert.Contains("[model_providers.latchkey]", output, StringComparison.Ordinal);
        Assert.Contains("(not written)", output, StringComparison.Ordinal);
        Assert.False(File.Exists(ConfigPath));
    }

    [Fact]
    public async Task Setup_without_a_server_is_a_usage_error()
    {
        var (code, _, error) = await cli.RunAsync(null, false, "codex", "setup", "--codex-home", codexHome);

        Assert.Equal(2, code);
        Assert.Contains("--server", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_provider_defined_inline_is_left_for_the_user()
    {
        var (text, problem) = CodexConfigMerge.Merge("model_providers = { latchkey = { name = \"x\" } }\n", Server, "config.toml");

        Assert.Null(text);
        Assert.Contains("model_providers.latchkey", problem, StringComparison.Ordinal);
    }

    private static bool Switch(TomlTable toml, string table, string key)
        => toml.TryGetValue(table, out var t) && t is TomlTable tt && tt.TryGetValue(key, out var v) && v is false;

    [Fact]
    public void The_switches_that_stop_codex_calling_OpenAI_and_GitHub_are_written()
    {
        var (text, problem) = CodexConfigMerge.Merge(null, Server, "config.toml");

        Assert.True(text is not null, problem);
        var toml = TomlReader.Parse(text);
        Assert.Equal(false, toml["check_for_update_on_startup"]);
        Assert.True(Switch(toml, "analytics", "enabled"), text);
        Assert.True(Switch(toml, "features", "plugins"), text);
        Assert.True(Switch(toml, "features", "apps"), text);
    }

    [Fact]
    public void Existing_features_tables_and_dotted_keys_are_set_in_place_keeping_the_users_other_features()
    {
        const string table = "check_for_update_on_startup = true\n\n[features]\nplugins = true\nweb_search_request = true\n\n[analytics]\nenabled = true\n";
        const string dotted = "features.plugins = true\nfeatures.goals = true\nanalytics.enabled = true\n";
        foreach (var before in new[] { table, dotted })
        {
            var (text, problem) = CodexConfigMerge.Merge(before, Server, "config.toml");

            Assert.True(text is not null, problem);
            var toml = TomlReader.Parse(text);
            Assert.Equal(false, toml["check_for_update_on_startup"]);
            Assert.True(Switch(toml, "analytics", "enabled"), text);
            Assert.True(Switch(toml, "features", "plugins"), text);
            Assert.True(Switch(toml, "features", "apps"), text);
            Assert.Single((TomlTable)toml["features"], f => f.Key is "web_search_request" or "goals");
            Assert.Equal(text, CodexConfigMerge.Merge(text, Server, "config.toml").Text);
        }
    }

    [Fact]
    public void Features_defined_inline_are_left_for_the_user()
    {
        var (text, problem) = CodexConfigMerge.Merge("features = { goals = true }\n", Server, "config.toml");

        Assert.Null(text);
        Assert.Contains("features.plugins = false", problem, StringComparison.Ordinal);
    }
}
