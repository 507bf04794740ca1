namespace Latchkey.Client.Configuration;

/// <summary>
/// The config.toml keys Latchkey reads, and the check that points out a misspelt one. config.toml is shared with codex,
/// which reads many more keys, so a key is reported only when it is not one of ours but is within a couple of edits of
/// one (`sever_url`): a codex key such as `model` or `approval_policy` is left alone.
/// </summary>
internal static class ConfigKeys
{
    public static readonly IReadOnlyList<string> TopLevel =
        ["server_url", "cli_auth_credentials_store", "forced_login_method", "forced_chatgpt_workspace_id", "forced_workspace_id", "model_providers"];

    /// <summary>Provider keys Latchkey reads, plus `wire_api`, which codex needs and Latchkey passes by.</summary>
    public static readonly IReadOnlyList<string> Provider =
        ["name", "base_url", "requires_openai_auth", "env_key", "env_key_instructions", "wire_api"];

    /// <summary>The known key <paramref name="key"/> is probably a misspelling of, or null when it is known or not close to any.</summary>
    public static string? ClosestMisspelt(string key, IReadOnlyList<string> known)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(known);
        if (known.Contains(key, StringComparer.Ordinal))
        {
            return null;
        }

        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in known)
        {
            var distance = Distance(key.Replace('-', '_'), candidate);
            if (distance < bestDistance)
            {
                (best, bestDistance) = (candidate, distance);
            }
        }

        // Two edits (a dropped letter and a swap) for ordinary keys, a few more for long ones.
        return bestDistance <= Math.Max(2, best!.Length / 6) ? best : null;
    }

    /// <summary>Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps.</summary>
    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }
}
