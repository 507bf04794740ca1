using Latchkey.Server.Storage;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Tests.Infrastructure;
using Latchkey.Server.Workspaces;

namespace Latchkey.Server.Tests.Workspaces;

/// <summary>One server and one team for a whole matrix: each cell makes its own targets, so cells do not interfere.</summary>
public class MatrixFixture : IAsyncLifetime
{
    private readonly DatabaseEngine engine;

    public MatrixFixture()
        : this(DatabaseEngine.Sqlite)
    {
    }

    protected MatrixFixture(DatabaseEngine engine) => this.engine = engine;

    /// <summary>PostgreSQL is not configured on this (non-CI) machine: the cells skip, as every PostgreSQL test does.</summary>
    public bool Unavailable { get; private set; }

    public LatchkeyServerFactory Factory { get; private set; } = null!;

    public Team Team { get; private set; } = null!;

    /// <summary>A member of another workspace, signed in to that one.</summary>
    public TestUser Outsider { get; private set; } = null!;

    public string OutsiderAccessToken { get; private set; } = null!;

    public Dictionary<string, WebSession> Sessions { get; } = new(StringComparer.Ordinal);

    public async ValueTask InitializeAsync()
    {
        if (engine == DatabaseEngine.Postgres && Environment.GetEnvironmentVariable("LATCHKEY_TEST_POSTGRES") is null && Environment.GetEnvironmentVariable("CI") is null)
        {
            Unavailable = true;
            return;
        }

        Factory = await LatchkeyServerFactory.StartAsync(engine);
        Team = await Team.CreateAsync(Factory, ("admin", WorkspaceRoles.Admin), ("member", WorkspaceRoles.Member));
        await Team.AddAsync("tokens", await Team.CreateRoleAsync("Automation", Permissions.CreateAccessTokens));
        await Team.AddAsync("auditor", await Team.CreateRoleAsync("Auditor", Permissions.ReadAuditLog, Permissions.ReadMembers));
        Outsider = await TestAccounts.CreateEnrolledAsync(Factory);
        OutsiderAccessToken = await Team.SignInAsync(Outsider, Outsider.WorkspaceId);
        foreach (var (label, member) in Team.Members)
        {
            Sessions[label] = await TestAccounts.SignInAsync(Factory, member.User);
        }

        Sessions["outsider"] = await TestAccounts.SignInAsync(Factory, Outsider);
    }

    public HttpClient ApiClient(string actor) => actor == "outsider" ? Team.ClientFor(OutsiderAccessToken) : Team.Client(actor);

    public async Task<WorkspaceAccess> OwnerAccessAsync()
        => (await Factory.Get<WorkspaceAccessService>().GetAsync(Team.Owner.Id, Team.WorkspaceId, CancellationToken.None))!;

    /// <summary>A plain member no test signs in as: the target of role changes and removals.</summary>
    public async Task<string> NewTargetMemberAsync()
    {
        var user = await TestAccounts.CreateEnrolledAsync(Factory);
        await Factory.Get<WorkspaceRepository>().AddMemberAsync(Team.WorkspaceId, user.Id, WorkspaceRoles.Member, 1, CancellationToken.None);
        return user.Id;
    }

    public async Task<string> NewOwnerTokenAsync()
    {
        var created = await Factory.Get<AccessTokenService>().CreateAsync(await OwnerAccessAsync(), "owner's token", "7d", null, null, CancellationToken.None);
        return created.Value.Token.Id;
    }

    public async Task<string> NewApiKeyAsync()
    {
        var created = await Factory.Get<ApiKeyService>().CreateAsync(await OwnerAccessAsync(), "key", null, CancellationToken.None);
        return created.Value.Key.Id;
    }

    /// <summary>An unused custom role (deletable), made by the owner.</summary>
    public async Task<string> NewRoleAsync()
    {
        var saved = await Factory.Get<WorkspaceAdminService>().SaveRoleAsync(await OwnerAccessAsync(), null, "Role " + Guid.NewGuid().ToString("N")[..8], [Permissions.ReadAuditLog], null, CancellationToken.None);
        return saved.Value!.Id;
    }

    public async Task<string> NewInvitationAsync()
    {
        var invited = await Factory.Get<WorkspaceAdminService>().InviteAsync(await OwnerAccessAsync(), null, WorkspaceRoles.Member, null, CancellationToken.None);
        return invited.Value.Invitation.Id;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var s in Sessions.Values)
        {
            s.Dispose();
        }

        if (Factory is not null)
        {
            await Factory.DisposeAsync();
        }
    }
}

/// <summary>The same matrix on PostgreSQL, for the API cells.</summary>
public sealed class PostgresMatrixFixture : MatrixFixture
{
    public PostgresMatrixFixture()
        : base(DatabaseEngine.Postgres)
    {
    }
}
