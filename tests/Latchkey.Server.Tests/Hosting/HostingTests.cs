using System.Net;
using Latchkey.Protocol.Tokens;
using Latchkey.Server.Hosting;
using Latchkey.Server.Storage;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Storage.Rows;
using Latchkey.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Latchkey.Server.Tests.Hosting;

public sealed class HostingTests
{
    [Theory]
    [InlineData("Latchkey:Database:Provider", "mysql", "Provider must be 'sqlite' or 'postgres'")]
    [InlineData("Latchkey:Issuer", "http://login.example.com", "must use https")]
    [InlineData("Latchkey:TrustedProxies:0", "not-an-ip", "is not an IP address")]
    [InlineData("Latchkey:Clients:2:RedirectUris:0", "https://x.example/cb#frag", "have no fragment")]
    [InlineData("Latchkey:Lifetimes:AccessToken", "00:05:00", "the Codex client refreshes whenever under 5 minutes remain")] // codex-compat.md: 174 refreshes in 45 s at 2 min
    [InlineData("Latchkey:Lifetimes:RefreshRetryWindow", "00:10:00", "RefreshRetryWindow must be more than 0 and at most 5 minutes")]
    public async Task Misconfiguration_StopsStartup_WithAClearMessage(string key, string value, string expected)
    {
        await using var db = await TestDatabase.CreateAsync(DatabaseEngine.Sqlite);
        var settings = new Dictionary<string, string?> { [key] = value };
        if (key.StartsWith("Latchkey:Clients:2", StringComparison.Ordinal))
        {
            settings["Latchkey:Clients:2:ClientId"] = "bad";
        }

        using var factory = new LatchkeyServerFactory(db, settings);
        var ex = Assert.ThrowsAny<Exception>(() => factory.Server);
        Assert.Contains(expected, ex.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ShortAccessTokenLifetime_WithCodexSwitchedOff_Starts()
    {
        await using var factory = await LatchkeyServerFactory.StartAsync(DatabaseEngine.Sqlite, new Dictionary<string, string?>
        {
            ["Latchkey:Lifetimes:AccessToken"] = "00:02:00",
            ["Latchkey:Codex:Enabled"] = "false",
        });
        Assert.Equal(System.Net.HttpStatusCode.OK, (await factory.CreateClient().GetAsync(new Uri("/.well-known/openid-configuration", UriKind.Relative))).StatusCode);
    }

    [Fact]
    public async Task ForwardedHeaders_FromUntrustedPeer_AreIgnored()
    {
        await using var factory = await LatchkeyServerFactory.StartAsync(DatabaseEngine.Sqlite);
        var user = await TestAccounts.CreateEnrolledAsync(factory);
        using var session = new WebSession(factory);
        session.Client.DefaultRequestHeaders.Add("X-Forwarded-For", "203.0.113.7");

        await session.SubmitAsync("/account/login", new Dictionary<string, string> { ["email"] = user.Email, ["password"] = "wrong password!!" });

        var events = await factory.Get<AuditRepository>().QueryAsync("sign_in.failed", user.Id, 10, CancellationToken.None);
        Assert.NotEqual("203.0.113.7", events.Single().IpAddress);
    }

    [Fact]
    public async Task ForwardedHeaders_FromConfiguredProxy_AreBelieved_OthersNot()
    {
        await using var db = await TestDatabase.CreateAsync(DatabaseEngine.Sqlite);
        await using var factory = new PeerAddressFactory(db, IPAddress.Parse("10.0.0.1"), new Dictionary<string, string?> { ["Latchkey:TrustedProxies:0"] = "10.0.0.1" });
        var user = await TestAccounts.CreateEnrolledAsync(factory);
        using var session = new WebSession(factory);
        session.Client.DefaultRequestHeaders.Add("X-Forwarded-For", "203.0.113.7");
        await session.SubmitAsync("/account/login", new Dictionary<string, string> { ["email"] = user.Email, ["password"] = "wrong password!!" });

        await using var db2 = await TestDatabase.CreateAsync(DatabaseEngine.Sqlite);
        await using var other = new PeerAddressFactory(db2, IPAddress.Parse("10.0.0.2"), new Dictionary<string, string?> { ["Latchkey:TrustedProxies:0"] = "10.0.0.1" });
        var user2 = await TestAccounts.CreateEnrolledAsync(other);
        using var session2 = new WebSession(other);
        session2.Client.DefaultRequestHeaders.Add("X-Forwarded-For", "203.0.113.7");
        await session2.SubmitAsync("/account/login", new Dictionary<string, string> { ["email"] = user2.Email, ["password"] = "wrong password!!" });

        Assert.Equal("203.0.113.7", (await factory.Get<AuditRepository>().QueryAsync("sign_in.failed", user.Id, 10, CancellationToken.None)).Single().IpAddress);
        Assert.Equal("10.0.0.2", (await other.Get<AuditRepository>().QueryAsync("sign_in.failed", user2.Id, 10, CancellationToken.None)).Single().IpAddress);
    }

    [Fact]
    public async Task SignInRateLimit_Returns429()
    {
        await using var factory = await LatchkeyServerFactory.StartAsync(DatabaseEngine.Sqlite, new Dictionary<string, string?> { ["Latchkey:RateLimits:SignInPerMinute"] = "3" });
        using var session = new WebSession(factory);

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 5; i++)
        {
            statuses.Add((await session.GetAsync("/account/login")).Response.StatusCode);
        }

        Assert.Equal(HttpStatusCode.TooManyRequests, statuses[^1]);
    }

    [Fact]
    public async Task TokenEndpointRateLimit_Returns429()
    {
        await using var factory = await LatchkeyServerFactory.StartAsync(DatabaseEngine.Sqlite, new Dictionary<string, string?> { ["Latchkey:RateLimits:TokenEndpointPerMinute"] = "2" });
        var client = factory.CreateClient();
        var last = HttpStatusCode.OK;
        for (var i = 0; i < 3; i++)
        {
            (last, _) = await OAuthFlows.RefreshAsync(client, "x");
        }

        Assert.Equal(HttpStatusCode.TooManyRequests, last);
    }

    [Fact]
    public async Task Cleanup_RemovesExpiredRows()
    {
        await using var factory = await LatchkeyServerFactory.StartAsync(DatabaseEngine.Sqlite);
        var devices = factory.Get<DeviceCodeRepository>();
        var now = factory.Clock.GetUtcNow().ToUnixTimeMilliseconds();
        await devices.TryCreateAsync(new DeviceCodeRow { DeviceCodeHash = "gone", UserCodeHash = "g", ClientId = "c", Scope = "s", ExpiresAt = now + 1000, IntervalSeconds = 5, Status = "pending" }, CancellationToken.None);
        factory.Clock.Advance(TimeSpan.FromSeconds(2));

        await factory.Get<ExpiredDataCleanup>().RunOnceAsync(CancellationToken.None);

        Assert.Null(await devices.FindByDeviceCodeAsync("gone", CancellationToken.None));
    }

    [Fact]
    public async Task SecretsAtRest_AreDigestsOrCiphertext()
    {
        await using var factory = await LatchkeyServerFactory.StartAsync(DatabaseEngine.Sqlite);
        var (user, tokens) = await OAuthFlows.SignInAndGetTokensAsync(factory);
        var dbFile = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(factory.Database.ConnectionString).DataSource;
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();

        var bytes = await File.ReadAllBytesAsync(dbFile);
        var wal = File.Exists(dbFile + "-wal") ? await File.ReadAllBytesAsync(dbFile + "-wal") : [];
        var all = System.Text.Encoding.Latin1.GetString([.. bytes, .. wal]);

        Assert.DoesNotContain((string)tokens["refresh_token"]!, all, StringComparison.Ordinal);
        Assert.DoesNotContain(user.TotpSecret, all, StringComparison.Ordinal);
        Assert.DoesNotContain(user.Password, all, StringComparison.Ordinal);
        Assert.Contains(SecretDigest.Compute((string)tokens["refresh_token"]!), all, StringComparison.Ordinal);
    }

    /// <summary>A test server whose every request arrives from a given peer address (TestServer has none).</summary>
    private sealed class PeerAddressFactory(TestDatabase db, IPAddress peer, IDictionary<string, string?> settings) : LatchkeyServerFactory(db, settings)
    {
        protected override void ConfigureWebHost(Microsoft.AspNetCore.Hosting.IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureServices(s => s.AddSingleton<Microsoft.AspNetCore.Hosting.IStartupFilter>(new PeerFilter(peer)));
        }
    }

    private sealed class PeerFilter(IPAddress peer) : Microsoft.AspNetCore.Hosting.IStartupFilter
    {
        public Action<Microsoft.AspNetCore.Builder.IApplicationBuilder> Configure(Action<Microsoft.AspNetCore.Builder.IApplicationBuilder> next) => app =>
        {
            app.Use(async (context, nextMiddleware) =>
            {
                context.Connection.RemoteIpAddress = peer;
                await nextMiddleware(context);
            });
            next(app);
        };
    }
}
