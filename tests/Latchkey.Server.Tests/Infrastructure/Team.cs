using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Workspaces;

namespace Latchkey.Server.Tests.Infrastructure;

/// <summary>
/// A workspace with one person in each role, each signed in to it through the real code flow (password, TOTP,
/// authorize restricted to the workspace, code exchange), so each holds an access token bound to the workspace.
/// </summary>
public sealed class Team
{
    private readonly LatchkeyServerFactory factory;

    private Team(LatchkeyServerFactory factory, TestUser owner)
    {
        this.factory = factory;
        Owner = owner;
        WorkspaceId = owner.WorkspaceId;
    }

    public string WorkspaceId { get; }

    public TestUser Owner { get; }

    public Dictionary<string, Member> Members { get; } = new(StringComparer.Ordinal);

    public sealed record Member(TestUser User, string Role, string AccessToken);

    /// <summary>Creates the owner, then one member per role name: "admin", "member", or a custom role id.</summary>
    public static async Task<Team> CreateAsync(LatchkeyServerFactory factory, params (string Label, string Role)[] roles)
    {
        ArgumentNullException.ThrowIfNull(factory);
        var owner = await TestAccounts.CreateEnrolledAsync(factory);
        var team = new Team(factory, owner);
        team.Members["owner"] = new Member(owner, WorkspaceRoles.Owner, await team.SignInAsync(owner));
        foreach (var (label, role) in roles)
        {
            await team.AddAsync(label, role);
        }

        return team;
    }

    public async Task<Member> AddAsync(string label, string role)
    {
        var user = await TestAccounts.CreateEnrolledAsync(factory);
        Assert.True(await factory.Get<WorkspaceRepository>().AddMemberAsync(WorkspaceId, user.Id, role, 1, CancellationToken.None));
        var member = new Member(user, role, await SignInAsync(user));
        Members[label] = member;
        return member;
    }

    /// <summary>A custom role made through the service, as an owner would.</summary>
    public async Task<string> CreateRoleAsync(string name, params string[] permissions)
    {
        var access = await factory.Get<WorkspaceAccessService>().GetAsync(Owner.Id, WorkspaceId, CancellationToken.None);
        var role = await factory.Get<WorkspaceAdminService>().SaveRoleAsync(access!, null, name, permissions, null, CancellationToken.None);
        Assert.True(role.Succeeded, role.Error?.Message);
        return role.Value!.Id;
    }

    public async Task<string> SignInAsync(TestUser user, string? workspaceId = null)
    {
        using var session = await TestAccounts.SignInAsync(factory, user);
        var (code, verifier) = await OAuthFlows.GetCodeAsync(session, extra: new Dictionary<string, string?> { ["allowed_workspace_id"] = workspaceId ?? WorkspaceId });
        var (status, tokens) = await OAuthFlows.ExchangeAsync(factory.CreateClient(), code, verifier);
        Assert.True(status == HttpStatusCode.OK, tokens.ToJsonString());
        return tokens["access_token"]!.GetValue<string>();
    }

    public HttpClient Client(string label) => ClientFor(Members[label].AccessToken);

    public HttpClient ClientFor(string bearer)
    {
        var client = factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        return client;
    }

    public string Url(string path) => $"/api/v1/workspaces/{WorkspaceId}{path}";
}

public static class ApiCalls
{
    public static async Task<(HttpStatusCode Status, JsonNode? Body)> SendAsync(this HttpClient client, HttpMethod method, string url, object? body = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        using var request = new HttpRequestMessage(method, new Uri(url, UriKind.Relative));
        if (body is string raw)
        {
            request.Content = new StringContent(raw, Encoding.UTF8, "application/json");
        }
        else if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, string.IsNullOrWhiteSpace(text) || !text.TrimStart().StartsWith('{') && !text.TrimStart().StartsWith('[') ? null : JsonNode.Parse(text));
    }
}
