using System.Net;
using Latchkey.Tests.Fakes;

namespace Latchkey.EndToEnd.Tests.Bench;

/// <summary>The real Latchkey server binary on one engine, with a signed-in owner who makes the codes and approves devices.</summary>
public sealed class LatchkeyTarget : IBenchTarget
{
    private const string CallbackUri = "http://127.0.0.1:1455/auth/callback";

    private LatchkeyTarget(string name, ServerProcess server, HttpUser owner, string workspaceId, int? databasePostmaster)
    {
        Name = name;
        Server = server;
        Owner = owner;
        WorkspaceId = workspaceId;
        Meter = new ProcessMeter(server.ProcessId, databasePostmaster);
        Http = BenchHttp.NewClient(server.Issuer);
    }

    public string Name { get; }

    public ServerProcess Server { get; }

    public HttpUser Owner { get; }

    public string WorkspaceId { get; }

    public ProcessMeter Meter { get; }

    public HttpClient Http { get; }

    public string ClientId => "latchkey-cli";

    public string RedirectUri => CallbackUri;

    public string TokenPath => "/oauth/token";

    public string UserInfoPath => "/oauth/userinfo";

    public string DeviceAuthorizationPath => "/oauth/device_authorization";

    /// <summary>
    /// Bench settings: rate limits out of the way (they guard against abuse, not load), codes valid for 10 minutes so
    /// they can be made before the timed part, and the model gateway in front of <paramref name="upstream"/>.
    /// </summary>
    public static async Task<LatchkeyTarget> StartAsync(string name, ServerLaunch launch, FakeResponsesUpstream upstream, IDictionary<string, string>? engine = null)
    {
        ArgumentNullException.ThrowIfNull(upstream);
        var environment = new Dictionary<string, string>
        {
            ["Latchkey__Gateway__UpstreamBaseUrl"] = upstream.BaseUrl,
            ["Latchkey__Gateway__UpstreamApiKey"] = FakeResponsesUpstream.ApiKey,
            ["Latchkey__Gateway__RequestsPerMinutePerCaller"] = "100000000",
            ["Latchkey__RateLimits__TokenEndpointPerMinute"] = "100000000",
            ["Latchkey__RateLimits__SignInPerMinute"] = "100000",
            ["Latchkey__RateLimits__DeviceEntryPerMinute"] = "100000000",
            ["Latchkey__Lifetimes__AuthorizationCode"] = "00:10:00",
            ["Logging__LogLevel__Default"] = "Warning",
            ["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information",
        };
        foreach (var (k, v) in engine ?? new Dictionary<string, string>())
        {
            environment[k] = v;
        }

        var server = await ServerProcess.StartAsync(Directory.CreateTempSubdirectory("latchkey-bench-").FullName, environment, launch: launch);
        var owner = await HttpUser.CreateOwnerAsync(server);
        var workspace = await owner.WorkspaceIdAsync();
        await owner.SetPoliciesAsync(workspace, "local_access_enabled", "device_sign_in_enabled", "member_access_tokens_enabled");
        // PostgreSQL's own processes are metered with the server: their CPU is part of what a request costs. Its
        // cluster is found from a backend of its own (the backend's parent is the postmaster).
        int? postmaster = null;
        if (environment.TryGetValue("Latchkey__Database__Provider", out var provider) && provider == "postgres")
        {
            await using var c = new Npgsql.NpgsqlConnection(environment["Latchkey__Database__ConnectionString"]);
            await c.OpenAsync();
            await using var backend = new Npgsql.NpgsqlCommand("SELECT pg_backend_pid()", c);
            postmaster = ProcessMeter.ParentOf((int)(await backend.ExecuteScalarAsync())!);
        }

        return new LatchkeyTarget(name, server, owner, workspace, postmaster);
    }

    public async Task<IReadOnlyList<PkceCode>> MintCodesAsync(int count, CancellationToken cancellationToken)
    {
        var codes = new PkceCode[count];
        await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, async (i, _) =>
        {
            var (verifier, challenge) = BenchHttp.NewPkce();
            var url = $"{Server.Issuer}/oauth/authorize?response_type=code&client_id={ClientId}&redirect_uri={WebUtility.UrlEncode(CallbackUri)}"
                + $"&scope=openid%20profile%20email%20offline_access&state=s{i}&code_challenge={challenge}&code_challenge_method=S256";
            var callback = new Uri(await Owner.AuthorizeAsync(url));
            var code = System.Web.HttpUtility.ParseQueryString(callback.Query)["code"]
                ?? throw new InvalidOperationException("No code in " + callback.GetLeftPart(UriPartial.Path));
            codes[i] = new PkceCode(code, verifier);
        });
        return codes;
    }

    public Task ApproveDeviceAsync(string userCode, CancellationToken cancellationToken) => Owner.ApproveDeviceAsync(userCode, WorkspaceId);

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        Owner.Dispose();
        await Server.DisposeAsync();
    }
}
