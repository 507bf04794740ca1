using System.Net;
using System.Text.Json;
using Latchkey.Server.Accounts;
using Latchkey.Server.Configuration;
using Latchkey.Server.Sso;
using Latchkey.Server.Storage;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;

namespace Latchkey.Server.Tests.Sso;

/// <summary>
/// GitHub as a social provider (OAuth 2.0, RFC 6749 §4.1 with PKCE and `state`), against a small GitHub stand-in on
/// loopback that answers the token endpoint and the REST API like github.com does. The subject is the numeric account
/// id; an address counts as verified only when `/user/emails` says so for the primary one — never the public `email`
/// of `/user` — so an unverified address never links to someone's account (OIDC Core §5.7's rule, applied to OAuth).
/// </summary>
public sealed class GitHubSignInTests : IAsyncLifetime
{
    private const string GitHubUserId = "4242";
    private readonly FakeGitHub github = new();
    private LatchkeyServerFactory factory = null!;

    public async ValueTask InitializeAsync()
    {
        await github.StartAsync();
        factory = await LatchkeyServerFactory.StartAsync(DatabaseEngine.Sqlite, new Dictionary<string, string?>
        {
            ["Latchkey:Sso:Providers:0:Name"] = "github",
            ["Latchkey:Sso:Providers:0:Preset"] = "github",
            ["Latchkey:Sso:Providers:0:Authority"] = github.BaseUrl,
            ["Latchkey:Sso:Providers:0:ApiBaseUrl"] = github.BaseUrl + "/api/v3",
            ["Latchkey:Sso:Providers:0:ClientId"] = FakeGitHub.ClientId,
            ["Latchkey:Sso:Providers:0:ClientSecret"] = FakeGitHub.ClientSecret,
            ["Latchkey:Sso:Providers:0:TrustedEmailDomains:0"] = "corp.example",
        });
    }

    public async ValueTask DisposeAsync()
    {
        await factory.DisposeAsync();
        await github.DisposeAsync();
    }

    /// <summary>Start → GitHub's authorize page (the person approves there) → callback with the code → complete.</summary>
    private async Task<(HttpResponseMessage Final, WebSession Session)> SignInThroughGitHubAsync()
    {
        var session = new WebSession(factory);
        var (start, _) = await session.GetAsync("/account/sso/start/github?returnUrl=/console");
        Assert.Equal(HttpStatusCode.Redirect, start.StatusCode);
        var authorize = start.Headers.Location!;
        Assert.StartsWith(github.BaseUrl + "/login/oauth/authorize?", authorize.AbsoluteUri, StringComparison.Ordinal);
        var query = QueryHelpers.ParseQuery(authorize.Query);
        Assert.Equal("S256", query["code_challenge_method"].ToString());
        Assert.Contains("user:email", query["scope"].ToString(), StringComparison.Ordinal);

        var (callback, _) = await session.GetAsync($"/account/sso/callback/github?code={FakeGitHub.Code}&state={Uri.EscapeDataString(query["state"].ToString())}");
        var response = callback;
        for (var hops = 0; response.StatusCode == HttpStatusCode.Redirect && hops < 5 && response.Headers.Location!.OriginalString.StartsWith("/account/sso/", StringComparison.Ordinal); hops++)
        {
            (response, _) = await session.GetAsync(response.Headers.Location!.OriginalString);
        }

        return (response, session);
    }

    [Fact]
    public async Task A_new_person_with_a_verified_primary_address_gets_an_account_keyed_by_the_github_id()
    {
        var email = $"octo-{Guid.NewGuid():N}@users.example";
        github.Emails = [new { email, primary = true, verified = true }];

        var (final, session) = await SignInThroughGitHubAsync();
        using (session)
        {
            Assert.Equal(HttpStatusCode.Redirect, final.StatusCode);
            Assert.Equal("/console", final.Headers.Location!.OriginalString);
            var user = await factory.Get<UserRepository>().FindByNormalizedEmailAsync(EmailAddress.Normalize(email), CancellationToken.None);
            Assert.NotNull(user);
            var linked = Assert.Single(await factory.Get<ExternalIdentityRepository>().ListForUserAsync(user.Id, CancellationToken.None));
            Assert.Equal(GitHubUserId, linked.Subject);
            Assert.Equal(github.BaseUrl, linked.Issuer);
            Assert.True(github.SawPkceVerifier);
        }
    }

    [Fact]
    public async Task An_unverified_address_never_links_to_the_account_that_owns_it_even_when_the_public_profile_claims_it()
    {
        // The victim: a verified account at a domain the operator trusts GitHub for.
        var victim = $"victim-{Guid.NewGuid():N}@corp.example";
        var accounts = factory.Get<AccountService>();
        var created = await accounts.CreateUserAsync(victim, TestAccounts.Password, CancellationToken.None);
        Assert.True(await accounts.MarkEmailVerifiedAsync(victim, "operator", CancellationToken.None));
        // The attacker's GitHub account shows the victim's address publicly and lists it as primary but unverified.
        github.PublicEmail = victim;
        github.Emails = [new { email = victim, primary = true, verified = false }];

        var (final, session) = await SignInThroughGitHubAsync();
        using (session)
        {
            // The flow completed and reached the linking decision: prove the existing account first (409), no link made.
            Assert.Equal(HttpStatusCode.Conflict, final.StatusCode);
            Assert.Empty(await factory.Get<ExternalIdentityRepository>().ListForUserAsync(created.UserId!, CancellationToken.None));
            Assert.Equal(HttpStatusCode.Redirect, (await session.GetAsync("/console")).Response.StatusCode); // not signed in
        }
    }

    [Fact]
    public void The_mapping_takes_the_numeric_id_and_only_a_primary_verified_address_as_verified()
    {
        var provider = new SsoProviderOptions { Name = "github", Preset = "github" };
        using var user = JsonDocument.Parse("""{"id":7,"login":"octo","name":null,"email":"public@corp.example"}""");
        using var emails = JsonDocument.Parse("""[{"email":"other@corp.example","primary":false,"verified":true},{"email":"main@users.example","primary":true,"verified":false}]""");

        var identity = SsoClaims.Read(new System.Security.Claims.ClaimsPrincipal(GitHubIdentity.Map(provider, user.RootElement, emails.RootElement)!))!;

        Assert.Equal(("https://github.com", "7", "main@users.example", false, "octo"), (identity.Issuer, identity.Subject, identity.Email, identity.EmailVerified, identity.Name));
        using var noId = JsonDocument.Parse("""{"login":"octo"}""");
        Assert.Null(GitHubIdentity.Map(provider, noId.RootElement, emails.RootElement));
    }

    [Fact]
    public void The_github_preset_is_refused_without_the_scope_that_says_which_addresses_are_verified()
    {
        var sso = new SsoOptions();
        sso.Providers.Add(new SsoProviderOptions { Name = "github", Preset = "github", ClientId = "id", ClientSecret = "secret", Scopes = { "read:user" } });
        Assert.Contains(SsoOptionsValidation.Validate(sso), e => e.Contains("must include 'user:email'", StringComparison.Ordinal));

        sso.Providers[0] = new SsoProviderOptions { Name = "github", Preset = "github", ClientId = "id", ClientSecret = "secret" };
        Assert.Empty(SsoOptionsValidation.Validate(sso)); // defaults: https://github.com, read:user user:email
    }

    /// <summary>github.com's OAuth and REST endpoints as far as sign-in uses them, on 127.0.0.1.</summary>
    private sealed class FakeGitHub : IAsyncDisposable
    {
        public const string ClientId = "gh-client";
        public const string ClientSecret = "gh-secret-for-tests";
        public const string Code = "gh-code-ok";
        private const string AccessToken = "gho_fake_access_token";
        private WebApplication? app;

        public string BaseUrl { get; private set; } = string.Empty;

        public object[] Emails { get; set; } = [];

        public string? PublicEmail { get; set; }

        public bool SawPkceVerifier { get; private set; }

        public async Task StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            app = builder.Build();
            app.MapPost("/login/oauth/access_token", async (HttpContext c) =>
            {
                var form = await c.Request.ReadFormAsync();
                SawPkceVerifier = !string.IsNullOrEmpty(form["code_verifier"]);
                return form["code"] == Code && form["client_id"] == ClientId && form["client_secret"] == ClientSecret
                    ? Results.Json(new { access_token = AccessToken, token_type = "bearer", scope = "read:user,user:email" })
                    : Results.Json(new { error = "bad_verification_code" });
            });
            app.MapGet("/api/v3/user", (HttpContext c) => Authorized(c)
                ? Results.Json(new { id = long.Parse(GitHubUserId, System.Globalization.CultureInfo.InvariantCulture), login = "octo", name = "Octo Cat", email = PublicEmail })
                : Results.StatusCode(401));
            app.MapGet("/api/v3/user/emails", (HttpContext c) => Authorized(c) ? Results.Json(Emails) : Results.StatusCode(401));
            await app.StartAsync();
            BaseUrl = app.Urls.Single().TrimEnd('/');
        }

        public async ValueTask DisposeAsync()
        {
            if (app is not null)
            {
                await app.DisposeAsync();
            }
        }

        private static bool Authorized(HttpContext c)
            => c.Request.Headers.Authorization.ToString() == "Bearer " + AccessToken && c.Request.Headers.UserAgent.Count > 0;
    }
}
