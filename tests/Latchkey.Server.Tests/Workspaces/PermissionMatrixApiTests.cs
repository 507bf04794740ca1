using System.Net;
using Latchkey.Server.Tests.Infrastructure;

namespace Latchkey.Server.Tests.Workspaces;

/// <summary>The permission table, cell by cell, through /api/v1 on SQLite.</summary>
public sealed class PermissionMatrixApiTests(MatrixFixture fixture) : PermissionMatrixApiCells(fixture), IClassFixture<MatrixFixture>;

/// <summary>The permission table, cell by cell, through /api/v1 on PostgreSQL.</summary>
public sealed class PermissionMatrixApiPostgresTests(PostgresMatrixFixture fixture) : PermissionMatrixApiCells(fixture), IClassFixture<PostgresMatrixFixture>;

public abstract class PermissionMatrixApiCells(MatrixFixture fixture)
{
    [Theory]
    [MemberData(nameof(PermissionMatrix.Cells), MemberType = typeof(PermissionMatrix))]
    public async Task Api_cell(string action, string actor, string expected)
    {
        Assert.SkipWhen(fixture.Unavailable, "LATCHKEY_TEST_POSTGRES is not set.");
        var team = fixture.Team;
        var client = fixture.ApiClient(actor);
        var unique = Guid.NewGuid().ToString("N")[..8];
        var (status, body) = action switch
        {
            "list_members" => await client.SendAsync(HttpMethod.Get, team.Url("/members")),
            "change_role" => await client.SendAsync(HttpMethod.Patch, team.Url($"/members/{await fixture.NewTargetMemberAsync()}"), new { role = "admin" }),
            "remove_member" => await client.SendAsync(HttpMethod.Delete, team.Url($"/members/{await fixture.NewTargetMemberAsync()}")),
            "invite" => await client.SendAsync(HttpMethod.Post, team.Url("/invitations"), new { email = $"new-{unique}@example.com", role = "member" }),
            "revoke_invitation" => await client.SendAsync(HttpMethod.Delete, team.Url($"/invitations/{await fixture.NewInvitationAsync()}")),
            "list_roles" => await client.SendAsync(HttpMethod.Get, team.Url("/roles")),
            "delete_role" => await client.SendAsync(HttpMethod.Delete, team.Url($"/roles/{await fixture.NewRoleAsync()}")),
            "create_role" => await client.SendAsync(HttpMethod.Post, team.Url("/roles"), new { name = $"Role {unique}", permissions = new[] { "audit.read" } }),
            "read_policies" => await client.SendAsync(HttpMethod.Get, team.Url("/policies")),
            "change_policies" => await client.SendAsync(HttpMethod.Patch, team.Url("/policies"), new { device_sign_in_enabled = true }),
            "list_tokens" => await client.SendAsync(HttpMethod.Get, team.Url("/access-tokens")),
            "create_token" => await client.SendAsync(HttpMethod.Post, team.Url("/access-tokens"), new { name = "t " + unique, expiration = "7d" }),
            "revoke_others_token" => await client.SendAsync(HttpMethod.Delete, team.Url($"/access-tokens/{await fixture.NewOwnerTokenAsync()}")),
            "rotate_owners_token" => await client.SendAsync(HttpMethod.Post, team.Url($"/access-tokens/{await fixture.NewOwnerTokenAsync()}/rotate")),
            "list_api_keys" => await client.SendAsync(HttpMethod.Get, team.Url("/api-keys")),
            "create_api_key" => await client.SendAsync(HttpMethod.Post, team.Url("/api-keys"), new { name = "k " + unique }),
            "revoke_api_key" => await client.SendAsync(HttpMethod.Delete, team.Url($"/api-keys/{await fixture.NewApiKeyAsync()}")),
            "read_audit" => await client.SendAsync(HttpMethod.Get, team.Url("/audit")),
            "export_audit" => await client.SendAsync(HttpMethod.Get, team.Url("/audit/export?format=csv")),
            _ => throw new ArgumentOutOfRangeException(nameof(action)),
        };

        var what = $"{actor} {action}: {(int)status} {body?.ToJsonString()}";
        switch (expected)
        {
            case "ok":
                Assert.True((int)status is >= 200 and < 300, what);
                break;
            default:
                Assert.True((int)status == int.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), what);
                // RFC 9457: a problem document with the stable code.
                Assert.Equal(expected == "404" ? "not_found" : "forbidden", body?["code"]?.GetValue<string>());
                break;
        }
    }
}
