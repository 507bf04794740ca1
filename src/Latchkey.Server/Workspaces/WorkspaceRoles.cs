namespace Latchkey.Server.Workspaces;

/// <summary>Built-in roles. A custom role is stored in workspace_members.role as its id (`role_…`).</summary>
public static class WorkspaceRoles
{
    public const string Owner = "owner";
    public const string Admin = "admin";
    public const string Member = "member";
    public const string CustomPrefix = "role_";

    public static bool IsBuiltIn(string role) => role is Owner or Admin or Member;

    public static bool IsCustom(string role) => role.StartsWith(CustomPrefix, StringComparison.Ordinal);

    /// <summary>Owners and admins run the workspace; policies that restrict "members" do not apply to them.</summary>
    public static bool IsAdministrator(string role) => role is Owner or Admin;
}
