using System.Globalization;
using System.Text;
using Latchkey.Client.Configuration;

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
