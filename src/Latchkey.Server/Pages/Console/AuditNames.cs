namespace Latchkey.Server.Pages.Console;

/// <summary>Names for the ids audit details carry (people, tokens, keys, roles, clients), so sentences say who and what.</summary>
public sealed record AuditNames
{
    public IReadOnlyDictionary<string, string> People { get; init; } = new Dictionary<string, string>();

    public IReadOnlyDictionary<string, string> Tokens { get; init; } = new Dictionary<string, string>();

    public IReadOnlyDictionary<string, string> Keys { get; init; } = new Dictionary<string, string>();

    public IReadOnlyDictionary<string, string> Roles { get; init; } = new Dictionary<string, string>();

    public Func<string, string?> Client { get; init; } = _ => null;

    public string Person(string? id) => id is null ? "someone" : People.TryGetValue(id, out var email) ? email : "a former member";

    public string Role(string? role) => role switch
    {
        null => "no role",
        "owner" or "admin" or "member" => role,
        _ => Roles.TryGetValue(role, out var name) ? $"“{name}”" : "a deleted custom role",
    };
}
