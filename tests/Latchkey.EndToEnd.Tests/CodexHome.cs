namespace Latchkey.EndToEnd.Tests;

/// <summary>A codex home for the tests, prepared as `latchkey codex setup` and the README leave one.</summary>
public static class CodexHome
{
    /// <summary>
    /// The settings the README tells people to keep (written by `latchkey codex setup`) that stop codex 0.169.0 from
    /// calling OpenAI and GitHub on its own: the update check (api.github.com), analytics and Statsig metrics
    /// (ab.chatgpt.com), the curated-plugin sync (github.com, api.github.com, chatgpt.com) and the hosted apps server.
    /// </summary>
    public const string OffSwitches = """
        check_for_update_on_startup = false

        [analytics]
        enabled = false

        [features]
        plugins = false
        apps = false

        """;

    /// <summary>Writes <see cref="OffSwitches"/> as the home's config.toml.</summary>
    public static void WriteOffSwitches(string codexHome) => File.WriteAllText(Path.Combine(codexHome, "config.toml"), OffSwitches);
}
