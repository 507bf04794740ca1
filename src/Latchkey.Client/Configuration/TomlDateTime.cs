namespace Latchkey.Client.Configuration;

/// <summary>A TOML date, time or date-time, kept as written (normalised to RFC 3339 form) with its kind.</summary>
public sealed record TomlDateTime(TomlDateTimeKind Kind, string Text);
