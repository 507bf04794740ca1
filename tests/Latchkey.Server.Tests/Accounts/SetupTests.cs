using System.Net;
using Latchkey.Server.Accounts;
using Latchkey.Server.Storage;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Tests.Infrastructure;

namespace Latchkey.Server.Tests.Accounts;

public sealed class SetupTests : ServerTest
{
    private async Task<string> NewLinkPathAsync() => new Uri(await Factory.Get<AccountService>().CreateSetupLinkAsync(CancellationToken.None)).PathAndQuery;

    [Fact]
    public async Task SetupLink_CreatesOwnerOnce()
    {
        var path = await NewLinkPathAsync();
        using var session = new WebSession(Factory);
        var email = $"owner-{Guid.NewGuid():N}@example.com";

        var (created, _) = await session.SubmitAsync(path, new Dictionary<string, string> { ["email"] = email, ["password"] = TestAccounts.Password, ["token"] = path.Split("token=")[1] });
        var (reuse, _) = await session.GetAsync(path);

        Assert.Equal(HttpStatusCode.Redirect, created.StatusCode);
        var user = await Factory.Get<UserRepository>().FindByNormalizedEmailAsync(email, CancellationToken.None);
        Assert.NotNull(user);
        Assert.Equal("owner", (await Factory.Get<WorkspaceRepository>().ListForUserAsync(user.Id, CancellationToken.None)).Single().Role);
        Assert.Equal(HttpStatusCode.NotFound, reuse.StatusCode);
    }

    [Fact]
    public async Task SetupLink_Expires_AfterOneHour()
    {
        var path = await NewLinkPathAsync();
        Factory.Clock.Advance(TimeSpan.FromHours(1));
        using var session = new WebSession(Factory);

        var (response, _) = await session.GetAsync(path);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task SetupLink_WeakPassword_IsRefusedAndLinkStaysUsable()
    {
        var path = await NewLinkPathAsync();
        var token = path.Split("token=")[1];
        using var session = new WebSession(Factory);

        var (weak, body) = await session.SubmitAsync(path, new Dictionary<string, string> { ["email"] = "x@example.com", ["password"] = "short", ["token"] = token });

        Assert.Equal(HttpStatusCode.BadRequest, weak.StatusCode);
        Assert.Contains("at least 12 characters", body, StringComparison.Ordinal);
        Assert.True(await Factory.Get<AccountService>().IsSetupTokenUsableAsync(token, CancellationToken.None));
    }
}
