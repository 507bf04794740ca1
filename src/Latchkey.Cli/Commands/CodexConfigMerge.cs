using System.Globalization;
using System.Text;
using Latchkey.Client.Configuration;
using Tomlyn.Model;

namespace Latchkey.Cli.Commands;

/// <summary>
/// Merges what codex 0.169.0 needs to talk to a Latchkey server, and nothing else, into the text of codex's
/// `config.toml`: a model provider for the gateway, `model_provider` naming it, and `chatgpt_base_url` at Latchkey's
/// backend endpoints (without it codex sends the Latchkey access token to chatgpt.com). Every other line of the
/// user's file is kept as written, comments included. A file that does not parse is never rewritten.
/// </summary>
public static class CodexConfigMerge
{
    public const string ProviderId = "latchkey";

    /// <summary>The merged text, or why the file was left alone.</summary>
    public static (string? Text, string? Problem) Merge(string? existing, string server, string source)
    {
        ArgumentNullException.ThrowIfNull(server);
        existing ??= string.Empty;
        TomlTable parsed;
        try
        {
            parsed = TomlReader.Parse(existing, source);
        }
        catch (TomlException ex)
        {
            return (null, $"{source} is not valid TOML ({ex.Message}); it was left unchanged. Fix it, or move it aside and run this again.");
        }

        var lines = existing.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n').ToList();
        if (lines.Count > 0 && lines[^1].Length == 0)
        {
            lines.RemoveAt(lines.Count - 1);
        }

        var rootEnd = lines.FindIndex(IsTableHeader);
        rootEnd = rootEnd < 0 ? lines.Count : rootEnd;
        var roots = new (string Key, string Value)[]
        {
            ("model_provider", Quote(ProviderId)),
            ("chatgpt_base_url", Quote(server + "/backend-api")),
            // The TUI's update check reads api.github.com (codex-rs/tui/src/updates.rs).
            ("check_for_update_on_startup", "false"),
        };

        // Root keys: replace a one-line `key = value` in the root table, else add it at the top.
        var inserts = new List<string>();
        foreach (var (key, value) in roots)
        {
            var at = lines.FindIndex(0, rootEnd, l => KeyOf(l) == key);
            if (at >= 0)
            {
                lines[at] = $"{key} = {value}";
            }
            else if (parsed.ContainsKey(key))
            {
                return (null, $"{source} sets {key} in a form this command does not rewrite; set it to {value} by hand.");
            }
            else
            {
                inserts.Add($"{key} = {value}");
            }
        }

        lines.InsertRange(0, inserts);

        foreach (var (section, key, value) in Switches)
        {
            var problem = SetInTable(lines, parsed, section, key, value);
            if (problem is not null)
            {
                return (null, $"{source} {problem}");
            }
        }

        // The provider table: replace [model_providers.latchkey] if it is there as a table, else append it.
        var table = new[]
        {
            $"[model_providers.{ProviderId}]",
            "name = \"Latchkey\"",
            $"base_url = {Quote(server + "/v1")}",
            "wire_api = \"responses\"",
            "requires_openai_auth = true",
        };
        var header = lines.FindIndex(l => l.Trim() == $"[model_providers.{ProviderId}]");
        if (header >= 0)
        {
            var next = lines.FindIndex(header + 1, IsTableHeader);
            var end = next < 0 ? lines.Count : next;
            while (end > header + 1 && lines[end - 1].Trim().Length == 0)
            {
                end--;
            }

            lines.RemoveRange(header, end - header);
            lines.InsertRange(header, table);
        }
        else if (parsed.TryGetValue("model_providers", out var providers) && providers is TomlTable p && p.ContainsKey(ProviderId))
        {
            return (null, $"{source} defines model_providers.{ProviderId} in a form this command does not rewrite; remove it and run this again.");
        }
        else
        {
            if (lines.Count > 0 && lines[^1].Trim().Length > 0)
            {
                lines.Add(string.Empty);
            }

            lines.AddRange(table);
        }

        var merged = string.Join('\n', lines) + "\n";
        try
        {
            TomlReader.Parse(merged, source);
        }
        catch (TomlException ex)
        {
            // E.g. another [model_providers.latchkey.x] subtable would now clash: leave the file alone.
            return (null, $"{source} could not be merged safely ({ex.Problem}); it was left unchanged.");
        }

        return (merged, null);
    }

    /// <summary>
    /// What stops codex 0.169.0 from calling OpenAI and GitHub on its own, whatever it is signed in to:
    /// `analytics.enabled` the analytics events and the Statsig metrics sent to ab.chatgpt.com
    /// (codex-rs/core/src/otel_init.rs); `features.plugins` the curated-plugin sync from github.com, api.github.com
    /// and chatgpt.com/backend-api/plugins/export/curated, a URL that ignores `chatgpt_base_url`
    /// (codex-rs/core-plugins/src/startup_sync.rs); `features.apps` the hosted `codex_apps` MCP server.
    /// </summary>
    public static readonly IReadOnlyList<(string Table, string Key, string Value)> Switches =
    [
        ("analytics", "enabled", "false"),
        ("features", "plugins", "false"),
        ("features", "apps", "false"),
    ];

    /// <summary>
    /// Sets `key = value` in the `[table]` section (replacing the key's line, or adding it under the header), or in a
    /// root dotted `table.key = …` line, else appends the section. Null when done, else why the file is left alone.
    /// </summary>
    private static string? SetInTable(List<string> lines, TomlTable parsed, string table, string key, string value)
    {
        var header = lines.FindIndex(l => l.Trim() == $"[{table}]");
        if (header >= 0)
        {
            var next = lines.FindIndex(header + 1, IsTableHeader);
            var end = next < 0 ? lines.Count : next;
            var at = lines.FindIndex(header + 1, end - header - 1, l => KeyOf(l) == key);
            if (at >= 0)
            {
                lines[at] = $"{key} = {value}";
            }
            else
            {
                lines.Insert(header + 1, $"{key} = {value}");
            }

            return null;
        }

        var rootEnd = lines.FindIndex(IsTableHeader);
        rootEnd = rootEnd < 0 ? lines.Count : rootEnd;
        var dotted = lines.FindIndex(0, rootEnd, l => KeyOf(l) == $"{table}.{key}");
        if (dotted >= 0)
        {
            lines[dotted] = $"{table}.{key} = {value}";
            return null;
        }

        // The table is written as root dotted keys (`features.x = …`): add this one the same way, next to them.
        var sibling = rootEnd == 0 ? -1 : lines.FindLastIndex(rootEnd - 1, rootEnd, l => KeyOf(l)?.StartsWith(table + ".", StringComparison.Ordinal) == true);
        if (sibling >= 0)
        {
            lines.Insert(sibling + 1, $"{table}.{key} = {value}");
            return null;
        }

        if (parsed.ContainsKey(table))
        {
            return $"sets {table} in a form this command does not rewrite; add {table}.{key} = {value} by hand.";
        }

        if (lines.Count > 0 && lines[^1].Trim().Length > 0)
        {
            lines.Add(string.Empty);
        }

        lines.Add($"[{table}]");
        lines.Add($"{key} = {value}");
        return null;
    }

    private static bool IsTableHeader(string line) => line.TrimStart().StartsWith('[');

    private static string? KeyOf(string line)
    {
        var trimmed = line.TrimStart();
        var eq = trimmed.IndexOf('=', StringComparison.Ordinal);
        return eq <= 0 || trimmed.StartsWith('#') ? null : trimmed[..eq].Trim().Trim('"');
    }

    /// <summary>A TOML basic string.</summary>
    public static string Quote(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var sb = new StringBuilder("\"");
        foreach (var c in value)
        {
            sb.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                < ' ' or '\u007f' => "\\u" + ((int)c).ToString("X4", CultureInfo.InvariantCulture),
                _ => c.ToString(),
            });
        }

        return sb.Append('"').ToString();
    }
}
