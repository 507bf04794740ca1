using System.Net;
using Latchkey.Server.Accounts;
using Latchkey.Server.Audit;
using Latchkey.Server.Storage;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Tests.Infrastructure;

namespace Latchkey.Server.Tests.Sso;

/// <summary>
/// An admin's reset of a member's second factor (ASVS 5.0 §6.4.4: resetting a factor must not weaken the account
/// elsewhere) on each engine: it asks first, is audited, and is refused for a person who also belongs to another
/// organisation's workspace — their factor guards that workspace too, so only the server operator (`reset-mfa`)
/// resets it.
/// </summary>
public abstract class MemberMfaResetTests(DatabaseEngine engine) : ServerTest(engine)
{
    private async Task<bool> HasTotpAsync(TestUser user) => (await Factory.Get<UserRepository>().FindByIdAsync(user.Id, CancellationToken.None))!.TotpEnrolledAt is not null;

    [Fact]
    public async Task Admin_resets_a_member_who_belongs_only_here_after_confirming_and_it_is_audited()
    {
        var team = await Team.CreateAsync(Factory, ("admin", "admin"), ("solo", "member"));
        var solo = team.Members["solo"].User;
        using var admin = await TestAccounts.SignInAsync(Factory, team.Members["admin"].User);
        var page = $"/console/{team.WorkspaceId}/sso";
        var (_, html) = await admin.GetAsync(page);
        Assert.Contains($"data-reset-mfa=\"{solo.Id}\"", html, StringComparison.Ordinal);

        var (asked, _) = await admin.SubmitAsync(page, new Dictionary<string, string> { ["user_id"] = solo.Id }, page + "?handler=resetMfa");
        Assert.Equal(HttpStatusCode.Redirect, asked.StatusCode);
        Assert.True(await HasTotpAsync(solo)); // an unconfirmed click changes nothing

        var (done, _) = await admin.SubmitAsync(page, new Dictionary<string, string> { ["user_id"] = solo.Id, ["confirm"] = "yes" }, page + "?handler=resetMfa");
        Assert.Equal(HttpStatusCode.Redirect, done.StatusCode);
        Assert.False(await HasTotpAsync(solo));
        Assert.Contains(await Factory.Get<AuditRepository>().QueryAsync(AuditEventTypes.MfaReset, solo.Id, 10, CancellationToken.None), e => e.WorkspaceId == team.WorkspaceId);
    }

    [Fact]
    public async Task Admin_cannot_reset_a_member_who_also_belongs_to_another_workspace_but_the_operator_can()
    {
        var team = await Team.CreateAsync(Factory, ("admin", "admin"), ("shared", "member"));
        var shared = team.Members["shared"].User;
        var elsewhere = await Team.CreateAsync(Factory);
        Assert.True(await Factory.Get<WorkspaceRepository>().AddMemberAsync(elsewhere.WorkspaceId, shared.Id, "owner", 1, CancellationToken.None));
        using var admin = await TestAccounts.SignInAsync(Factory, team.Members["admin"].User);
        var page = $"/console/{team.WorkspaceId}/sso";
        var (_, html) = await admin.GetAsync(page);
        Assert.DoesNotContain($"data-reset-mfa=\"{shared.Id}\"", html, StringComparison.Ordinal);
        Assert.Contains($"data-reset-elsewhere=\"{shared.Id}\"", html, StringComparison.Ordinal);

        var (refused, body) = await admin.SubmitAsync(page, new Dictionary<string, string> { ["user_id"] = shared.Id, ["confirm"] = "yes" }, page + "?handler=resetMfa");

        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("also belongs to other workspaces", System.Net.WebUtility.HtmlDecode(body), StringComparison.Ordinal);
        Assert.True(await HasTotpAsync(shared));
        Assert.Empty(await Factory.Get<AuditRepository>().QueryAsync(AuditEventTypes.MfaReset, shared.Id, 10, CancellationToken.None));

        var accounts = Factory.Get<AccountService>();
        Assert.True(await accounts.ResetMfaByEmailAsync(shared.Email.ToUpperInvariant(), "operator", CancellationToken.None));
        Assert.False(await HasTotpAsync(shared));
        Assert.Null(await accounts.ResetMfaByEmailAsync("nobody-" + Guid.NewGuid().ToString("N") + "@example.com", "operator", CancellationToken.None));
    }
}

public sealed class SqliteMemberMfaResetTests() : MemberMfaResetTests(DatabaseEngine.Sqlite);

public sealed class PostgresMemberMfaResetTests() : MemberMfaResetTests(DatabaseEngine.Postgres);
