namespace Latchkey.Client;

/// <summary>An expected failure with a stable <see cref="Code"/> and a one-line message fit to show a user.</summary>
public class LatchkeyException(string code, string message, Exception? inner = null) : Exception(message, inner)
{
    public string Code { get; } = code;
}
