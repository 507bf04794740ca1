using System.Globalization;
using System.Text.Json.Nodes;
using Latchkey.Client.Configuration;
using Tomlyn.Model;
using TomlDateTime = Tomlyn.TomlDateTime;
using TomlDateTimeKind = Tomlyn.TomlDateTimeKind;

namespace Latchkey.Client.Tests;

/// <summary>
/// The toml-test suite's TOML 1.0.0 cases (tests/Latchkey.Client.Tests/TomlTestData): every valid document parses to
/// the expected values; every invalid one is rejected with a <see cref="TomlException"/> — never a crash — except the
/// few that TOML 1.1 made valid (Tomlyn reads 1.1).
/// </summary>
public sealed class TomlConformanceTests
{
    private static readonly string DataRoot = FindData();

    /// <summary>
    /// Invalid in TOML 1.0.0 (these test files) but valid in TOML 1.1.0, the version Tomlyn reads (toml.io/en/v1.1.0:
    /// seconds optional in times, newlines and a trailing comma in inline tables, \xHH escapes). Decided: accept them,
    /// as Tomlyn's own toml-test run does; every other invalid case must still be refused.
    /// </summary>
    private static readonly HashSet<string> ValidInToml11 =
    [
        "invalid/datetime/no-secs.toml",
        "invalid/local-datetime/no-secs.toml",
        "invalid/local-time/no-secs.toml",
        "invalid/inline-table/linebreak-01.toml",
        "invalid/inline-table/linebreak-02.toml",
        "invalid/inline-table/linebreak-03.toml",
        "invalid/inline-table/linebreak-04.toml",
        "invalid/inline-table/trailing-comma.toml",
        "invalid/string/basic-byte-escapes.toml",
    ];

    private static IEnumerable<string> Cases(string kind)
        => File.ReadAllLines(Path.Combine(DataRoot, "files-toml-1.0.0"))
            .Where(l => l.StartsWith(kind + "/", StringComparison.Ordinal) && l.EndsWith(".toml", StringComparison.Ordinal));

    [Fact]
    public void ValidCases_AllParseToTheExpectedValues()
    {
        var failures = new List<string>();
        var cases = Cases("valid").ToList();
        foreach (var name in cases)
        {
            try
            {
                var actual = ToTaggedJson(TomlReader.Parse(File.ReadAllBytes(Path.Combine(DataRoot, name)), name));
                var expected = JsonNode.Parse(File.ReadAllText(Path.Combine(DataRoot, Path.ChangeExtension(name, ".json"))));
                if (!Same(expected, actual, out var why))
                {
                    failures.Add($"{name}: {why}");
                }
            }
            catch (TomlException ex)
            {
                failures.Add($"{name}: rejected: {ex.Message}");
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {cases.Count} valid cases failed:\n" + string.Join('\n', failures));
        Assert.Equal(210, cases.Count);
    }

    [Fact]
    public void InvalidCases_AreAllRejectedWithAPositionedError()
    {
        var failures = new List<string>();
        var cases = Cases("invalid").ToList();
        foreach (var name in cases)
        {
            try
            {
                TomlReader.Parse(File.ReadAllBytes(Path.Combine(DataRoot, name)), name);
                if (!ValidInToml11.Contains(name))
                {
                    failures.Add($"{name}: accepted");
                }
            }
            catch (TomlException ex)
            {
                if (ex.Line < 1 || ex.Column < 1 || !ex.Message.StartsWith(name + ":", StringComparison.Ordinal))
                {
                    failures.Add($"{name}: error without a position: {ex.Message}");
                }
            }
            catch (Exception ex)
            {
                failures.Add($"{name}: crashed with {ex.GetType().Name}: {ex.Message}");
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {cases.Count} invalid cases failed:\n" + string.Join('\n', failures));
        Assert.Equal(499, cases.Count);
    }

    [Fact]
    public void Toml11Additions_AreAccepted()
    {
        foreach (var name in ValidInToml11)
        {
            TomlReader.Parse(File.ReadAllBytes(Path.Combine(DataRoot, name)), name);
        }

        Assert.Equal(9, ValidInToml11.Count);
    }

    [Fact]
    public void Error_NamesFileLineAndColumn()
    {
        var ex = Assert.Throws<TomlException>(() => TomlReader.Parse("a = 1\nb = \"unterminated\n", "config.toml"));

        Assert.Equal("config.toml", ex.File);
        Assert.Equal(2, ex.Line);
        Assert.Equal(18, ex.Column); // Tomlyn points at the end of the line where the string was left open
        Assert.StartsWith("config.toml:2:18: ", ex.Message, StringComparison.Ordinal);
        Assert.Contains("string", ex.Problem, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("error", ex.Problem, StringComparison.Ordinal); // no second position prefix from Tomlyn
    }

    private static JsonNode ToTaggedJson(object value) => value switch
    {
        TomlTable t => new JsonObject(t.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)ToTaggedJson(kv.Value)))),
        TomlArray a => new JsonArray([.. a.Select(v => (JsonNode?)ToTaggedJson(v!))]),
        TomlTableArray a => new JsonArray([.. a.Select(v => (JsonNode?)ToTaggedJson(v))]),
        string s => Tag("string", s),
        long l => Tag("integer", l.ToString(CultureInfo.InvariantCulture)),
        double d => Tag("float", double.IsNaN(d) ? "nan" : double.IsPositiveInfinity(d) ? "inf" : double.IsNegativeInfinity(d) ? "-inf" : d.ToString("R", CultureInfo.InvariantCulture)),
        bool b => Tag("bool", b ? "true" : "false"),
        TomlDateTime dt => Tag(dt.Kind switch
        {
            TomlDateTimeKind.OffsetDateTimeByZ or TomlDateTimeKind.OffsetDateTimeByNumber => "datetime",
            TomlDateTimeKind.LocalDateTime => "datetime-local",
            TomlDateTimeKind.LocalDate => "date-local",
            _ => "time-local",
        }, dt.ToString()),
        _ => throw new InvalidOperationException("Unexpected TOML value " + value.GetType()),
    };

    private static JsonObject Tag(string type, string value) => new() { ["type"] = type, ["value"] = value };

    private static bool Same(JsonNode? expected, JsonNode? actual, out string why)
    {
        why = string.Empty;
        switch (expected)
        {
            case JsonObject e when e.Count == 2 && e["type"] is JsonValue && e["value"] is JsonValue:
                if (actual is not JsonObject a || (string?)a["type"] != (string?)e["type"])
                {
                    why = $"expected {e.ToJsonString()}, got {actual?.ToJsonString()}";
                    return false;
                }

                if (!SameScalar((string)e["type"]!, (string)e["value"]!, (string)a["value"]!))
                {
                    why = $"expected {e.ToJsonString()}, got {a.ToJsonString()}";
                    return false;
                }

                return true;
            case JsonObject e:
                if (actual is not JsonObject ao || ao.Count != e.Count)
                {
                    why = $"expected table with keys [{string.Join(",", e.Select(k => k.Key))}], got {actual?.ToJsonString()}";
                    return false;
                }

                foreach (var (k, v) in e)
                {
                    if (!ao.ContainsKey(k) || !Same(v, ao[k], out why))
                    {
                        why = $"{k}: {(ao.ContainsKey(k) ? why : "missing")}";
                        return false;
                    }
                }

                return true;
            case JsonArray e:
                if (actual is not JsonArray aa || aa.Count != e.Count)
                {
                    why = $"expected array of {e.Count}, got {actual?.ToJsonString()}";
                    return false;
                }

                for (var i = 0; i < e.Count; i++)
                {
                    if (!Same(e[i], aa[i], out why))
                    {
                        why = $"[{i}]: {why}";
                        return false;
                    }
                }

                return true;
            default:
                why = "unexpected expected-node " + expected?.ToJsonString();
                return false;
        }
    }

    private static bool SameScalar(string type, string expected, string actual) => type switch
    {
        "integer" => long.Parse(expected, CultureInfo.InvariantCulture) == long.Parse(actual, CultureInfo.InvariantCulture),
        "float" => expected is "nan" or "inf" or "-inf" || actual is "nan" or "inf" or "-inf"
            ? expected.TrimStart('+') == actual
            : double.Parse(expected, CultureInfo.InvariantCulture).Equals(double.Parse(actual, CultureInfo.InvariantCulture)),
        "datetime" => DateTimeOffset.Parse(expected, CultureInfo.InvariantCulture) == DateTimeOffset.Parse(actual, CultureInfo.InvariantCulture),
        "datetime-local" => DateTime.Parse(expected, CultureInfo.InvariantCulture) == DateTime.Parse(actual, CultureInfo.InvariantCulture),
        "date-local" => DateOnly.Parse(expected, CultureInfo.InvariantCulture) == DateOnly.Parse(actual, CultureInfo.InvariantCulture),
        "time-local" => TimeOnly.Parse(expected, CultureInfo.InvariantCulture) == TimeOnly.Parse(actual, CultureInfo.InvariantCulture),
        _ => expected == actual,
    };

    private static string FindData()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "Latchkey.Client.Tests", "TomlTestData");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException("TomlTestData not found above " + AppContext.BaseDirectory);
    }
}
