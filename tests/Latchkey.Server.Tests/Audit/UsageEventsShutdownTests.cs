using System.Net;
using Latchkey.Server.Storage;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Tests.Infrastructure;
using Latchkey.Server.Workspaces;

namespace Latchkey.Server.Tests.Audit;

/// <summary>
/// The real host's shutdown flushes the usage events queued off the request path: every use answered before a clean
/// stop is in the audit log read afterwards (ASVS 5.0 §16.3: security events are recorded, none lost).
/// </summary>
public sealed class UsageEventsShutdownTests
{
    [Fact]
    public async Task AccessTokenUses_AnsweredBeforeACleanStop_AreAllInTheAuditLogAfterRestart()
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseEngine.Sqlite);
        string userId;
        const int Uses = 40;
        await using (var first = new LatchkeyServerFactory(database, ownsDatabase: false))
        {
            var team = await Team.CreateAsync(first, ("member", WorkspaceRoles.Member));
            await team.Client("owner").SendAsync(HttpMethod.Patch, team.Url("/policies"), new { member_access_tokens_enabled = true });
            var (_, created) = await team.Client("member").SendAsync(HttpMethod.Post, team.Url("/access-tokens"), new { name = "runner", expiration = "7d" });
            var secret = created!["token"]!.GetValue<string>();
            userId = team.Members["member"].User.Id;

            var statuses = await Task.WhenAll(Enumerable.Range(0, Uses).Select(async _ =>
                (await team.ClientFor(secret).SendAsync(HttpMethod.Get, "/api/accounts/v1/user-auth-credential/whoami")).Status));
            Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));
        } // the host stops here: the writer's StopAsync writes out the queue

        // Read as the next start would: a fresh connection factory on the same file.
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        var events = await new AuditRepository(database.CreateFactory()).QueryAsync("access_token.used", userId, 100, CancellationToken.None);
        Assert.Equal(Uses, events.Count);
    }
}
