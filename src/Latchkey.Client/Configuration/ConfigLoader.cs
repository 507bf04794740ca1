using Tomlyn.Model;

namespace Latchkey.Client.Configuration;

/// <summary>
/// Reads `$LATCHKEY_HOME/config.toml`, applies `-c key=value` overrides, then the managed layer
/// (`/etc/latchkey/managed_config.toml`, `%ProgramData%\Latchkey\managed_config.toml`, or LATCHKEY_MANAGED_CONFIG),
/// which users cannot override. Invalid settings are errors naming the file, line and column or the key.
/// </summary>
public static class ConfigLoader
{
    public const string FileName = "config.toml";
    public const string ManagedFileName = "managed_config.toml";

    public static string DefaultManagedPath(Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        if (environment("LATCHKEY_MANAGED_CONFIG") is { Length: > 0 } explicitPath)
        {
            return explicitPath;
        }

        return OperatingSystem.IsWindows()
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.CommonApplicationData), "Latchkey", ManagedFileName)
            : Path.Combine("/etc/latchkey", ManagedFileName);
    }

    public static LatchkeyConfig Load(string home, IReadOnlyList<string> overrides, string managedPath)
    {
        ArgumentNullException.ThrowIfNull(overrides);
        var merged = new TomlTable();
        var sources = new Dictionary<string, ConfigLayer>(StringComparer.Ordinal);
        if (ReadFile(Path.Combine(home, FileName)) is { } user)
        {
            Merge(merged, user, ConfigLayer.User, sources, string.Empty);
        }

        foreach (var assignment in overrides)
        {
            Merge(merged, ParseOverride(assignment), ConfigLayer.CommandLine, sources, string.Empty);
        }

        if (ReadFile(managedPath) is { } managed)
        {
            Merge(merged, managed, ConfigLayer.Managed, sources, string.Empty);
        }

        return Interpret(merged, sources);
    }

    /// <summary>`key.path=value`: the value is read as a TOML value when it is one, else taken as a string.</summary>
    public static TomlTable ParseOverride(string assignment)
    {
        ArgumentNullException.ThrowIfNull(assignment);
        var eq = assignment.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0)
        {
            throw new LatchkeyException(ErrorCodes.ConfigInvalid, $"-c expects key=value (got '{assignment}').");
        }

        var key = assignment[..eq].Trim();
        var value = assignment[(eq + 1)..].Trim();
        try
        {
            return TomlReader.Parse($"{key} = {value}", "-c " + key);
        }
        catch (TomlException)
        {
            try
            {
                return TomlReader.Parse($"{key} = {TomlString(value)}", "-c " + key);
            }
            catch (TomlException ex)
            {
                throw new LatchkeyException(ErrorCodes.ConfigInvalid, $"-c {assignment}: '{key}' is not a valid key ({ex.Problem}).", ex);
            }
        }
    }

    private static TomlTable? ReadFile(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new LatchkeyException(ErrorCodes.ConfigInvalid, $"Cannot read {path}: permission denied.", ex);
        }

        try
        {
            return TomlReader.Parse(bytes, path);
        }
        catch (TomlException ex)
        {
            throw new LatchkeyException(ErrorCodes.ConfigInvalid, ex.Message, ex);
        }
    }

    private static void Merge(TomlTable into, TomlTable from, ConfigLayer layer, Dictionary<string, ConfigLayer> sources, string prefix)
    {
        foreach (var (key, value) in from)
        {
            var path = prefix + key;
            if (value is TomlTable child)
            {
                if (into.TryGetValue(key, out var existing) is false || existing is not TomlTable target)
                {
                    into[key] = target = new TomlTable();
                }

                Merge(target, child, layer, sources, path + ".");
                continue;
            }

            into[key] = value;
            sources[path] = layer;
        }
    }

    private static LatchkeyConfig Interpret(TomlTable t, Dictionary<string, ConfigLayer> sources)
    {
        var store = OptionalString(t, "cli_auth_credentials_store", sources) ?? LatchkeyConfig.StoreFile;
        if (store is not (LatchkeyConfig.StoreFile or LatchkeyConfig.StoreKeyring or LatchkeyConfig.StoreAuto or LatchkeyConfig.StoreEphemeral))
        {
            throw Invalid("cli_auth_credentials_store", sources, $"must be \"file\", \"keyring\", \"auto\" or \"ephemeral\" (got \"{store}\")");
        }

        var method = OptionalString(t, "forced_login_method", sources);
        method = method switch
        {
            null => null,
            "chatgpt" or "workspace" => "chatgpt", // "workspace" is a clearer alias for Latchkey users
            "api" => "api",
            _ => throw Invalid("forced_login_method", sources, $"must be \"chatgpt\", \"workspace\" or \"api\" (got \"{method}\")"),
        };

        var workspaceKey = t.ContainsKey("forced_chatgpt_workspace_id") ? "forced_chatgpt_workspace_id" : "forced_workspace_id";
        IReadOnlyList<string> workspaces = t.TryGetValue(workspaceKey, out var w) ? w switch
        {
            string s when s.Length > 0 => [s],
            TomlArray a when a.All(x => x is string { Length: > 0 }) => [.. a.Cast<string>()],
            _ => throw Invalid(workspaceKey, sources, "must be a workspace id or a list of workspace ids"),
        } : [];
        if (workspaceKey == "forced_workspace_id" && workspaces.Count > 0)
        {
            sources["forced_chatgpt_workspace_id"] = sources.GetValueOrDefault("forced_workspace_id");
        }

        var providers = new Dictionary<string, ModelProviderConfig>(StringComparer.Ordinal);
        if (t.TryGetValue("model_providers", out var mp))
        {
            if (mp is not TomlTable providerTable)
            {
                throw Invalid("model_providers", sources, "must be a table of providers");
            }

            foreach (var (id, value) in providerTable)
            {
                if (value is not TomlTable p)
                {
                    throw Invalid($"model_providers.{id}", sources, "must be a table");
                }

                var key = $"model_providers.{id}.";
                providers[id] = new ModelProviderConfig
                {
                    Id = id,
                    Name = OptionalString(p, "name", sources, key),
                    BaseUrl = OptionalString(p, "base_url", sources, key),
                    RequiresOpenAiAuth = OptionalBool(p, "requires_openai_auth", sources, key) ?? false,
                    EnvKey = OptionalString(p, "env_key", sources, key),
                    EnvKeyInstructions = OptionalString(p, "env_key_instructions", sources, key),
                };
            }
        }

        return new LatchkeyConfig
        {
            ServerUrl = OptionalString(t, "server_url", sources)?.TrimEnd('/'),
            CredentialsStore = store,
            ForcedLoginMethod = method,
            ForcedWorkspaceIds = workspaces,
            ModelProviders = providers,
            Sources = sources,
        };
    }

    private static string? OptionalString(TomlTable t, string key, Dictionary<string, ConfigLayer> sources, string prefix = "")
        => t.TryGetValue(key, out var v) ? v as string ?? throw Invalid(prefix + key, sources, "must be a string") : null;

    private static bool? OptionalBool(TomlTable t, string key, Dictionary<string, ConfigLayer> sources, string prefix)
        => t.TryGetValue(key, out var v) ? v as bool? ?? throw Invalid(prefix + key, sources, "must be true or false") : null;

    private static LatchkeyException Invalid(string key, Dictionary<string, ConfigLayer> sources, string problem)
        => new(ErrorCodes.ConfigInvalid, $"Configuration key {key} ({DescribeLayer(sources.GetValueOrDefault(key))}) {problem}.");

    public static string DescribeLayer(ConfigLayer layer) => layer switch
    {
        ConfigLayer.User => "set in config.toml",
        ConfigLayer.CommandLine => "set with -c",
        ConfigLayer.Managed => "set by your administrator in managed_config.toml",
        _ => "default",
    };

    private static string TomlString(string value)
    {
        var sb = new System.Text.StringBuilder("\"");
        foreach (var c in value)
        {
            sb.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                < ' ' or '\u007f' => $"\\u{(int)c:X4}",
                _ => c.ToString(),
            });
        }

        return sb.Append('"').ToString();
    }
}
