using System.Net;
using Latchkey.Server.Tests.Infrastructure;

namespace Latchkey.Server.Tests.Workspaces;

/// <summary>
/// The same table through the console. Forbidden actions are also attempted by posting straight to the handler
/// with a valid antiforgery token taken from a page the user can open, as a user bypassing the UI would.
/// </summary>
public sealed class PermissionMatrixPageTests(MatrixFixture fixture) : IClassFixture<MatrixFixture>
{
    [Theory]
    [MemberData(nameof(PermissionMatrix.Cells), MemberType = typeof(PermissionMatrix))]
    public async Task Page_cell(string action, string actor, string expected)
    {
        var session = fixture.Sessions[actor];
        var ws = $"/console/{fixture.Team.WorkspaceId}";
        var unique = Guid.NewGuid().ToString("N")[..8];
        var (response, body) = action switch
        {
            "list_members" => await session.GetAsync($"{ws}/members"),
            "change_role" => await PostAsync(session, $"{ws}/members?handler=role", new() { ["userId"] = await fixture.NewTargetMemberAsync(), ["role"] = "admin" }),
            "remove_member" => await PostAsync(session, $"{ws}/members?handler=remove", new() { ["userId"] = await fixture.NewTargetMemberAsync() }),
            "invite" => await PostAsync(session, $"{ws}/members?handler=invite", new() { ["email"] = $"p-{unique}@example.com", ["role"] = "member" }),
            "revoke_invitation" => await PostAsync(session, $"{ws}/members?handler=revokeInvitation", new() { ["invitationId"] = await fixture.NewInvitationAsync() }),
            "list_roles" => await session.GetAsync($"{ws}/roles"),
            "delete_role" => await PostAsync(session, $"{ws}/roles?handler=delete", new() { ["roleId"] = await fixture.NewRoleAsync() }),
            "create_role" => await PostAsync(session, $"{ws}/roles?handler=save", new() { ["name"] = $"Page role {unique}", ["permissions"] = "audit.read" }),
            "read_policies" => await session.GetAsync($"{ws}/policies"),
            "change_policies" => await PostAsync(session, $"{ws}/policies", new() { ["local_access_enabled"] = "true", ["device_sign_in_enabled"] = "true" }),
            "list_tokens" => await session.GetAsync($"{ws}/tokens"),
            "create_token" => await PostAsync(session, $"{ws}/tokens?handler=create", new() { ["name"] = "page " + unique, ["expiration"] = "7d" }),
            "revoke_others_token" => await PostAsync(session, $"{ws}/tokens?handler=revoke", new() { ["tokenId"] = await fixture.NewOwnerTokenAsync() }),
            "rotate_owners_token" => await PostAsync(session, $"{ws}/tokens?handler=rotate", new() { ["tokenId"] = await fixture.NewOwnerTokenAsync() }),
            "list_api_keys" => await session.GetAsync($"{ws}/api-keys"),
            "create_api_key" => await PostAsync(session, $"{ws}/api-keys?handler=create", new() { ["name"] = "page key " + unique }),
            "revoke_api_key" => await PostAsync(session, $"{ws}/api-keys?handler=revoke", new() { ["keyId"] = await fixture.NewApiKeyAsync() }),
            "read_audit" => await session.GetAsync($"{ws}/audit"),
            "export_audit" => await session.GetAsync($"{ws}/audit?handler=export&format=csv"),
            _ => throw new ArgumentOutOfRangeException(nameof(action)),
        };

        var status = (int)response.StatusCode;
        var what = $"{actor} {action}: {status} {body[..Math.Min(body.Length, 300)]}";
        if (expected == "ok")
        {
            Assert.True(status is >= 200 and < 400, what);
            Assert.False(response.Headers.Location?.OriginalString.StartsWith("/account/login", StringComparison.Ordinal) == true, what);
        }
        else
        {
            Assert.True(status == int.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), what);
        }
    }

    /// <summary>Posts with the user's antiforgery token from their own security page, whatever they may see in the console.</summary>
    private static async Task<(HttpResponseMessage, string)> PostAsync(WebSession session, string url, Dictionary<string, string> fields)
    {
        var (_, html) = await session.GetAsync("/account/security");
        fields["__RequestVerificationToken"] = WebSession.Hidden(html, "__RequestVerificationToken")!;
        return await session.PostAsync(url, fields);
    }
}
