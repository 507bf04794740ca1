using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Latchkey.Tests.Fakes;
using Microsoft.Data.Sqlite;

namespace Latchkey.EndToEnd.Tests;

/// <summary>
/// One real server for the refresh tests, with a 5 s refresh retry window (standing for the default 60 s, so "after
/// the window" takes seconds, not minutes), the Codex client on and a model upstream for codex runs.
/// </summary>
public sealed class RefreshFixture : IAsyncLifetime
{
    public const string ShortWindow = "00:00:05";
    public static readonly TimeSpan AfterWindow = TimeSpan.FromSeconds(6);

    public ServerProcess Server { get; private set; } = null!;

    public FakeResponsesUpstream Upstream { get; private set; } = null!;

    public HttpUser Owner { get; private set; } = null!;

    public string WorkspaceId { get; private set; } = string.Empty;

    public static Dictionary<string, string> Settings(string window, string upstream) => new()
    {
        ["Latchkey__Lifetimes__RefreshRetryWindow"] = window,
        ["Latchkey__Gateway__UpstreamBaseUrl"] = upstream,
        ["Latchkey__Gateway__UpstreamApiKey"] = FakeResponsesUpstream.ApiKey,
        ["Latchkey__RateLimits__SignInPerMinute"] = "1000",
        ["Latchkey__RateLimits__TokenEndpointPerMinute"] = "100000",
        ["Latchkey__RateLimits__DeviceEntryPerMinute"] = "1000",
    };

    public async ValueTask InitializeAsync()
    {
        Upstream = await FakeResponsesUpstream.StartAsync();
        Server = await ServerProcess.StartAsync(Settings(ShortWindow, Upstream.BaseUrl));
        Owner = await HttpUser.CreateOwnerAsync(Server);
        WorkspaceId = await Owner.WorkspaceIdAsync();
    }

    public async ValueTask DisposeAsync()
    {
        Owner?.Dispose();
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }

        if (Upstream is not null)
        {
            await Upstream.DisposeAsync();
        }
    }

    /// <summary>A new sign-in (one grant) of the owner for <paramref name="clientId"/>, through the Codex device dialect over HTTP.</summary>
    public static async Task<JsonObject> SignInAsync(ServerProcess server, HttpUser owner, string workspaceId, string clientId)
    {
        using var http = new HttpClient { BaseAddress = new Uri(server.Issuer) };
        var start = await PostJsonAsync(http, "/api/accounts/deviceauth/usercode", new JsonObject { ["client_id"] = clientId });
        await owner.ApproveDeviceAsync((string)start["user_code"]!, workspaceId);
        var pair = await PostJsonAsync(http, "/api/accounts/deviceauth/token", new JsonObject { ["device_auth_id"] = (string)start["device_auth_id"]!, ["user_code"] = (string)start["user_code"]! });
        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code",
            ["code"] = (string)pair["authorization_code"]!,
            ["redirect_uri"] = server.Issuer + "/deviceauth/callback",
            ["client_id"] = clientId,
            ["code_verifier"] = (string)pair["code_verifier"]!,
        });
        using var response = await http.PostAsync(new Uri("/oauth/token", UriKind.Relative), form);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        return JsonNode.Parse(body)!.AsObject();
    }

    /// <summary>
    /// Writes auth.json (the schema latchkey and codex share) with an access token already expired, so the next run
    /// refreshes first. The client reads `exp` without verifying; the server never sees that token.
    /// </summary>
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public static void WriteExpiredLogin(string home, JsonObject tokens, string issuer, string clientId, string workspaceId)
    {
        Directory.CreateDirectory(home, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var auth = new JsonObject
        {
            ["auth_mode"] = "chatgpt",
            ["OPENAI_API_KEY"] = null,
            ["tokens"] = new JsonObject
            {
                ["id_token"] = (string)tokens["id_token"]!,
                ["access_token"] = Expired((string)tokens["access_token"]!),
                ["refresh_token"] = (string)tokens["refresh_token"]!,
                ["account_id"] = workspaceId,
                ["oauth_provenance"] = new JsonObject { ["issuer"] = issuer, ["client_id"] = clientId },
            },
            ["last_refresh"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture),
        };
        var path = Path.Combine(home, "auth.json");
        File.WriteAllText(path, auth.ToJsonString());
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    /// <summary>Makes the stored access token look expired again (keeps everything else).</summary>
    public static void ExpireStoredAccessToken(string home)
    {
        var path = Path.Combine(home, "auth.json");
        var auth = JsonNode.Parse(File.ReadAllText(path))!;
        auth["tokens"]!["access_token"] = Expired((string)auth["tokens"]!["access_token"]!);
        File.WriteAllText(path, auth.ToJsonString());
    }

    public static string StoredRefreshToken(string home)
        => (string)JsonNode.Parse(File.ReadAllText(Path.Combine(home, "auth.json")))!["tokens"]!["refresh_token"]!;

    private static string Expired(string jwt)
    {
        var parts = jwt.Split('.');
        var payload = JsonNode.Parse(System.Buffers.Text.Base64Url.DecodeFromChars(parts[1]))!;
        payload["exp"] = DateTimeOffset.UtcNow.AddSeconds(-30).ToUnixTimeSeconds();
        parts[1] = System.Buffers.Text.Base64Url.EncodeToString(System.Text.Encoding.UTF8.GetBytes(payload.ToJsonString()));
        return string.Join('.', parts);
    }

    /// <summary>An HTTP client whose connections leave from <paramref name="address"/> (127.0.0.2 stands for another machine).</summary>
    public static HttpClient ClientFrom(string address, string baseUrl) => new(new SocketsHttpHandler
    {
        ConnectCallback = async (context, ct) =>
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
            try
            {
                socket.Bind(new IPEndPoint(IPAddress.Parse(address), 0));
                await socket.ConnectAsync(context.DnsEndPoint, ct);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    }) { BaseAddress = new Uri(baseUrl) };

    public static async Task<(HttpStatusCode Status, JsonObject Body)> RefreshAsync(HttpClient http, string refreshToken, string clientId)
    {
        using var form = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "refresh_token", ["refresh_token"] = refreshToken, ["client_id"] = clientId });
        using var response = await http.PostAsync(new Uri("/oauth/token", UriKind.Relative), form);
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject());
    }

    public static long Scalar(ServerProcess server, string sql)
    {
        SQLitePCL.Batteries_V2.Init();
        using var c = new SqliteConnection($"Data Source={Path.Combine(server.DataDirectory, "latchkey.db")};Mode=ReadOnly;Pooling=False");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        return Convert.ToInt64(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task<JsonObject> PostJsonAsync(HttpClient http, string path, JsonObject body)
    {
        using var response = await http.PostAsJsonAsync(new Uri(path, UriKind.Relative), body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, path + ": " + text);
        return JsonNode.Parse(text)!.AsObject();
    }
}
