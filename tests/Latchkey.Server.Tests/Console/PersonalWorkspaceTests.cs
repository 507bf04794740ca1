using Latchkey.Server.Accounts;
using Latchkey.Server.Storage;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Tests.Infrastructure;

namespace Latchkey.Server.Tests.Console;

/// <summary>
/// Latchkey:Workspaces:CreatePersonalWorkspace (issue 17): new accounts get no workspace of their own unless the
/// operator asks, so an invited person's CLI and Codex sign-ins offer only the team's workspace.
/// </summary>
public sealed class PersonalWorkspaceTests(SqliteConsoleFixture fixture) : IClassFixture<SqliteConsoleFixture>
{
    [Fact]
    public async Task A_new_account_has_no_workspace_by_default()
    {
        var created = await fixture.Factory.Get<AccountService>().CreateUserAsync($"new-{Guid.NewGuid():N}@example.com", TestAccounts.Password, CancellationToken.None);
        Assert.True(created.Succeeded, created.Error);
        Assert.Null(created.WorkspaceId);
        Assert.Empty(await fixture.Factory.Get<WorkspaceRepository>().ListForUserAsync(created.UserId!, CancellationToken.None));
    }

    [Fact]
    public async Task The_operator_can_ask_for_a_personal_workspace_for_every_new_account()
    {
        await using var factory = await LatchkeyServerFactory.StartAsync(DatabaseEngine.Sqlite, new Dictionary<string, string?> { ["Latchkey:Workspaces:CreatePersonalWorkspace"] = "true" });
        var created = await factory.Get<AccountService>().CreateUserAsync($"new-{Guid.NewGuid():N}@example.com", TestAccounts.Password, CancellationToken.None);
        var workspace = Assert.Single(await factory.Get<WorkspaceRepository>().ListForUserAsync(created.UserId!, CancellationToken.None));
        Assert.Equal(created.WorkspaceId, workspace.WorkspaceId);
        Assert.Equal("owner", workspace.Role);
    }
}
