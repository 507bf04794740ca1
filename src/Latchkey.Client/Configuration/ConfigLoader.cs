using Tomlyn.Model;

namespace Latchkey.Client.Configuration;

/// <summary>
/// Reads `$LATCHKEY_HOME/config.toml`, applies `-c key=value` overrides, then the managed layer
/// (`/etc/latchkey/managed_config.toml`, `%ProgramData%\Latchkey\managed_config.toml`, or LATCHKEY_MANAGED_CONFIG),
/// which users cannot override. Invalid settings are errors naming the file and line (or the -c) that set them; a
/// key that looks like a misspelling of one Latchkey reads is a warning naming the file, line and the key meant.
/// </summary>
internal static class ConfigLoader
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
        var locations = new Dictionary<string, string>(StringComparer.Ordinal);
        var warnings = new List<string>();
        var userPath = Path.Combine(home, FileName);
        if (ReadFile(userPath) is { } user)
        {
            Merge(merged, user.Table, ConfigLayer.User, sources, string.Empty);
            Locate(locations, user, userPath, warnings);
        }

        foreach (var assignment in overrides)
        {
            var table = ParseOverride(assignment);
            Merge(merged, table, ConfigLayer.CommandLine, sources, string.Empty);
            foreach (var key in table.Keys)
            {
                locations[key] = "set with -c";
                if (ConfigKeys.ClosestMisspelt(key, ConfigKeys.TopLevel) is { } meant)
                {
                    warnings.Add($"Warning: -c {key}: unknown key, ignored; did you mean {meant}?");
                }
            }
        }

        if (ReadFile(managedPath) is { } managed)
        {
            Merge(merged, managed.Table, ConfigLayer.Managed, sources, string.Empty);
            Locate(locations, managed, "your administrator in " + managedPath, warnings);
        }

        return Interpret(merged, sources, locations) with { Warnings = warnings };
    }

    /// <summary>Where each key of a file was set ("set in /home/me/.latchkey/config.toml line 3"), and warnings for misspelt keys.</summary>
    private static void Locate(Dictionary<string, string> locations, ConfigFile file, string who, List<string> warnings)
    {
        foreach (var (key, line) in file.Lines)
        {
            locations[key] = who.StartsWith("your administrator", StringComparison.Ordinal) ? $"set by {who} line {line}" : $"set in {who} line {line}";
        }

        foreach (var (key, value) in file.Table)
        {
            Warn(key, ConfigKeys.TopLevel, key);
            if (key == "model_providers" && value is TomlTable providers)
            {
                foreach (var (id, provider) in providers)
                {
                    if (provider is TomlTable p)
                    {
                        foreach (var providerKey in p.Keys)
                        {
                            Warn(providerKey, ConfigKeys.Provider, $"model_providers.{id}.{providerKey}");
                        }
                    }
                }
            }
        }

        void Warn(string key, IReadOnlyList<string> known, string path)
        {
            if (ConfigKeys.ClosestMisspelt(key, known) is { } meant)
            {
                var line = file.Lines.TryGetValue(path, out var l) ? $" line {l}" : string.Empty;
                warnings.Add($"Warning: {file.Path}{line}: unknown key {path}, ignored; did you mean {meant}?");
            }
        }
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

    private static ConfigFile? ReadFile(string path)
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
            var table = TomlReader.Parse(bytes, path);
            return new ConfigFile(path, table, TomlKeyLines.Of(System.Text.Encoding.UTF8.GetString(bytes).TrimStart('\uFEFF'), path));
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

    private static LatchkeyConfig Interpret(TomlTable t, Dictionary<string, ConfigLayer> sources, Dictionary<string, string> locations)
    {
        var store = OptionalString(t, "cli_auth_credentials_store", locations) ?? LatchkeyConfig.StoreFile;
        if (store is not (LatchkeyConfig.StoreFile or LatchkeyConfig.StoreKeyring or LatchkeyConfig.StoreAuto or LatchkeyConfig.StoreEphemeral))
        {
            throw Invalid(locations, "cli_auth_credentials_store", $"must be \"file\", \"keyring\", \"auto\" or \"ephemeral\" (got \"{store}\")");
        }

        var method = OptionalString(t, "forced_login_method", locations);
        method = method switch
        {
            null => null,
            "chatgpt" or "workspace" => "chatgpt", // "workspace" is a clearer alias for Latchkey users
            "api" => "api",
            _ => throw Invalid(locations, "forced_login_method", $"must be \"chatgpt\", \"workspace\" or \"api\" (got \"{method}\")"),
        };

        var workspaceKey = t.ContainsKey("forced_chatgpt_workspace_id") ? "forced_chatgpt_workspace_id" : "forced_workspace_id";
        IReadOnlyList<string> workspaces = t.TryGetValue(workspaceKey, out var w) ? w switch
        {
            string s when s.Length > 0 => [s],
            TomlArray a when a.All(x => x is string { Length: > 0 }) => [.. a.Cast<string>()],
            _ => throw Invalid(locations, workspaceKey, "must be a workspace id or a list of workspace ids"),
        } : [];
        if (workspaceKey == "forced_workspace_id" && workspaces.Count > 0)
        {
            sources["forced_chatgpt_workspace_id"] = sources.GetValueOrDefault("forced_workspace_id");
            locations["forced_chatgpt_workspace_id"] = locations.GetValueOrDefault("forced_workspace_id", "default");
        }

        var providers = new Dictionary<string, ModelProviderConfig>(StringComparer.Ordinal);
        if (t.TryGetValue("model_providers", out var mp))
        {
            if (mp is not TomlTable providerTable)
            {
                throw Invalid(locations, "model_providers", "must be a table of providers");
            }

            foreach (var (id, value) in providerTable)
            {
                if (value is not TomlTable p)
                {
                    throw Invalid(locations, $"model_providers.{id}", "must be a table");
                }

                var key = $"model_providers.{id}.";
                providers[id] = new ModelProviderConfig
                {
                    Id = id,
                    Name = OptionalString(p, "name", locations, key),
                    BaseUrl = OptionalString(p, "base_url", locations, key),
                    RequiresOpenAiAuth = OptionalBool(p, "requires_openai_auth", locations, key) ?? false,
                    EnvKey = OptionalString(p, "env_key", locations, key),
                    EnvKeyInstructions = OptionalString(p, "env_key_instructions", locations, key),
                };
            }
        }

        return new LatchkeyConfig
        {
            ServerUrl = OptionalString(t, "server_url", locations)?.TrimEnd('/'),
            CredentialsStore = store,
            ForcedLoginMethod = method,
            ForcedWorkspaceIds = workspaces,
            ModelProviders = providers,
            Sources = sources,
            Locations = locations,
        };
    }

    private static string? OptionalString(TomlTable t, string key, Dictionary<string, string> locations, string prefix = "")
        => t.TryGetValue(key, out var v) ? v as string ?? throw Invalid(locations, prefix + key, "must be a string") : null;

    private static bool? OptionalBool(TomlTable t, string key, Dictionary<string, string> locations, string prefix)
        => t.TryGetValue(key, out var v) ? v as bool? ?? throw Invalid(locations, prefix + key, "must be true or false") : null;

    private static LatchkeyException Invalid(Dictionary<string, string> locations, string key, string problem)
        => new(ErrorCodes.ConfigInvalid, $"Configuration key {key} ({locations.GetValueOrDefault(key, "default")}) {problem}.");

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
