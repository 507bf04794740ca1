namespace Latchkey.Server.Workspaces;

/// <summary>Checks shared by every form and API body, so both refuse the same input with the same words.</summary>
public static class InputRules
{
    public const int MaxNameLength = 100;

    /// <summary>A trimmed display name of 1–100 characters without control characters, or an error message.</summary>
    public static (string? Name, string? Error) Name(string? value, string what)
    {
        var trimmed = value?.Trim();
        if (string.IsNullOrEmpty(trimmed))
        {
            return (null, $"{what} is required.");
        }

        if (trimmed.Length > MaxNameLength)
        {
            return (null, $"{what} must be at most {MaxNameLength} characters.");
        }

        if (trimmed.Any(char.IsControl))
        {
            return (null, $"{what} must not contain control characters.");
        }

        return (trimmed, null);
    }

    public static bool LooksLikeEmail(string? value)
    {
        var v = value?.Trim();
        if (string.IsNullOrEmpty(v) || v.Length > 254 || v.Any(char.IsWhiteSpace))
        {
            return false;
        }

        var at = v.IndexOf('@', StringComparison.Ordinal);
        return at > 0 && at == v.LastIndexOf('@') && at < v.Length - 1;
    }
}
