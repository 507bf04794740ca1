using System.Net;
using Latchkey.Server.Tests.Infrastructure;
using Latchkey.Server.Workspaces;

namespace Latchkey.Server.Tests.Codex;

/// <summary>
/// A refused `at-` token reaches the person running codex: whoami lets a codex run keep a known-but-refused token
/// (naming nobody), so the gateway's refusal of it, with the reason, is what codex prints.
/// </summary>
public sealed class CodexRefusalRelayTests() : ServerTest(settings: new Dictionary<string, string?> { ["Latchkey:Gateway:UpstreamBaseUrl"] = "http://127.0.0.1:9" })
{
    private const string Whoami = "/api/accounts/v1/user-auth-credential/whoami";

    private async Task<(Team Team, string Secret)> RevokedTokenAsync()
    {
        var team = await Team.CreateAsync(Factory, ("member", WorkspaceRoles.Member));
        await team.Client("owner").SendAsync(HttpMethod.Patch, team.Url("/policies"), new { member_access_tokens_enabled = true });
        var (_, created) = await team.Client("member").SendAsync(HttpMethod.Post, team.Url("/access-tokens"), new { name = "runner", expiration = "7d" });
        var (status, _) = await team.Client("member").SendAsync(HttpMethod.Delete, team.Url($"/access-tokens/{created!["id"]!.GetValue<string>()}"));
        Assert.Equal(HttpStatusCode.NoContent, status);
        return (team, created["token"]!.GetValue<string>());
    }

    private async Task<(HttpStatusCode Status, string Body)> GetAsync(string path, string bearer, string? originator)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new("Bearer", bearer);
        if (originator is not null)
        {
            request.Headers.Add("originator", originator);
        }

        using var response = await Factory.CreateClient().SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_codex_run_keeps_a_revoked_token_without_learning_whose_it_was_and_the_gateway_says_why()
    {
        var (team, secret) = await RevokedTokenAsync();

        var (status, body) = await GetAsync(Whoami, secret, "codex_exec");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.DoesNotContain(team.Members["member"].User.Email, body, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(team.WorkspaceId, body, StringComparison.Ordinal);
        Assert.DoesNotContain(team.Members["member"].User.Id, body, StringComparison.Ordinal);

        // The token still opens nothing: the gateway refuses it, naming the revocation date.
        using var model = new HttpRequestMessage(HttpMethod.Post, "/v1/responses") { Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json") };
        model.Headers.Authorization = new("Bearer", secret);
        using var refused = await Factory.CreateClient().SendAsync(model);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Contains("revoked on", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("codex_cli_rs")]
    public async Task Login_and_non_codex_callers_still_get_the_refusal(string? originator)
    {
        // `codex login --with-access-token` (originator codex_cli_rs) must fail so a revoked token is never saved;
        // the latchkey CLI reads the problem body.
        var (_, secret) = await RevokedTokenAsync();

        var (status, body) = await GetAsync(Whoami, secret, originator);

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Contains("token_revoked", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_token_is_refused_even_for_a_codex_run()
    {
        var (_, secret) = await RevokedTokenAsync();
        var unknown = Latchkey.Protocol.Tokens.TokenFormat.Generate(Latchkey.Protocol.Tokens.TokenFormat.AccessTokenPrefix);

        var (status, _) = await GetAsync(Whoami, unknown, "codex_exec");

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.NotEqual(unknown, secret);
    }
}
