namespace Latchkey.Server.Tests.Workspaces;

/// <summary>
/// The permission model as a table: who may do what in a workspace. Each cell is tested twice, through the JSON API
/// and through the console pages (including posting directly to handlers a user cannot see). "ok" = allowed;
/// 404 = the user cannot see this part of the workspace at all; 403 = they can see it but not change it.
/// The "tokens" actor is a member with a custom role granting access_tokens.create (member tokens are off);
/// "auditor" has a custom role with audit.read and members.read; "outsider" belongs to another workspace.
/// </summary>
public static class PermissionMatrix
{
    public static readonly string[] Actors = ["owner", "admin", "member", "tokens", "auditor", "outsider"];

    public static readonly (string Action, string[] Expected)[] Table =
    [
        //                          owner  admin  member  tokens  auditor outsider
        ("list_members",           ["ok", "ok", "404", "404", "ok",  "404"]),
        ("change_role",            ["ok", "ok", "404", "404", "403", "404"]),
        ("remove_member",          ["ok", "ok", "404", "404", "403", "404"]),
        ("invite",                 ["ok", "ok", "404", "404", "403", "404"]),
        ("revoke_invitation",      ["ok", "ok", "404", "404", "404", "404"]),
        ("list_roles",             ["ok", "ok", "404", "404", "ok",  "404"]),
        ("create_role",            ["ok", "ok", "404", "404", "403", "404"]),
        ("delete_role",            ["ok", "ok", "404", "404", "403", "404"]),
        ("read_policies",          ["ok", "ok", "404", "404", "404", "404"]),
        ("change_policies",        ["ok", "ok", "404", "404", "404", "404"]),
        ("list_tokens",            ["ok", "ok", "404", "ok",  "404", "404"]),
        ("create_token",           ["ok", "ok", "404", "ok",  "404", "404"]),
        ("revoke_others_token",    ["ok", "ok", "404", "404", "404", "404"]),
        // Rotating hands out a secret that acts as the token's creator: only the creator (here the owner) may (ASVS 5.0 §8.2.2).
        ("rotate_owners_token",    ["ok", "403", "404", "404", "404", "404"]),
        ("list_api_keys",          ["ok", "ok", "404", "404", "404", "404"]),
        ("create_api_key",         ["ok", "ok", "404", "404", "404", "404"]),
        ("revoke_api_key",         ["ok", "ok", "404", "404", "404", "404"]),
        ("read_audit",             ["ok", "ok", "404", "404", "ok",  "404"]),
        ("export_audit",           ["ok", "ok", "404", "404", "ok",  "404"]),
    ];

    public static TheoryData<string, string, string> Cells()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var (action, expected) in Table)
        {
            for (var i = 0; i < Actors.Length; i++)
            {
                data.Add(action, Actors[i], expected[i]);
            }
        }

        return data;
    }
}
