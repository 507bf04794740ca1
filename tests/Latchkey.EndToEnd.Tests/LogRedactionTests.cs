using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.WebUtilities;

namespace Latchkey.EndToEnd.Tests;

/// <summary>
/// ASVS 4.0 V7.1.1 / V7.1.2: logs never carry credentials or session tokens. A real server, started from another
/// working directory with framework request logging turned all the way on (JSON output), goes through setup,
/// invitation, browser sign-in, refresh and device sign-in; then its whole log is searched for every secret used.
/// </summary>
public sealed class LogRedactionTests
{
    [Fact]
    public async Task FullRun_LogHasNoCodeStateUserCodeSetupOrInvitationTokenOrBearer_ASVS_V7_1_1()
    {
        var elsewhere = Directory.CreateTempSubdirectory("latchkey-cwd-").FullName;
        await using var server = await ServerProcess.StartAsync(Directory.CreateTempSubdirectory("latchkey-e2e-").FullName, new Dictionary<string, string>
        {
            ["Logging__LogLevel__Microsoft.AspNetCore"] = "Debug",
            ["Logging__LogLevel__Microsoft.AspNetCore.DataProtection"] = "Error",
            ["Latchkey__Logging__Format"] = "json",
        }, workingDirectory: elsewhere);
        var secrets = new List<string>();
        var setupToken = server.SetupLink![(server.SetupLink!.IndexOf("token=", StringComparison.Ordinal) + 6)..];

        using var owner = await HttpUser.CreateOwnerAsync(server);
        var workspace = await owner.WorkspaceIdAsync();
        var invitation = await owner.InviteAsync(workspace, "member");
        using var member = await HttpUser.JoinByInvitationAsync(server, invitation);
        secrets.Add(invitation[(invitation.LastIndexOf('/') + 1)..]);

        // Browser sign-in (authorization code + PKCE + state), then refresh.
        using var http = new HttpClient { BaseAddress = new Uri(server.Issuer) };
        var verifier = Base64Url(RandomNumberGenerator.GetBytes(32));
        var state = Base64Url(RandomNumberGenerator.GetBytes(16));
        var authorize = QueryHelpers.AddQueryString(server.Issuer + "/oauth/authorize", new Dictionary<string, string?>
        {
            ["response_type"] = "code",
            ["client_id"] = "latchkey-cli",
            ["redirect_uri"] = "http://127.0.0.1:1455/auth/callback",
            ["code_challenge"] = Base64Url(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))),
            ["code_challenge_method"] = "S256",
            ["state"] = state,
            ["scope"] = "openid profile email offline_access",
            ["allowed_workspace_id"] = workspace, // the member belongs to two workspaces: skip the chooser
        });
        var callback = QueryHelpers.ParseQuery(new Uri(await member.AuthorizeAsync(authorize)).Query);
        var code = callback["code"].ToString();
        var tokens = await PostAsync(http, "/oauth/token", new() { ["grant_type"] = "authorization_code", ["code"] = code, ["redirect_uri"] = "http://127.0.0.1:1455/auth/callback", ["client_id"] = "latchkey-cli", ["code_verifier"] = verifier });
        var refreshed = await PostAsync(http, "/oauth/token", new() { ["grant_type"] = "refresh_token", ["refresh_token"] = (string)tokens["refresh_token"]!, ["client_id"] = "latchkey-cli" });
        using (var userinfo = new HttpRequestMessage(HttpMethod.Get, "/oauth/userinfo"))
        {
            userinfo.Headers.Authorization = new("Bearer", (string)refreshed["access_token"]!);
            Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(userinfo)).StatusCode);
        }

        // Device sign-in, with the user code also sent in a query string (the verification_uri_complete link).
        var device = await PostAsync(http, "/oauth/device_authorization", new() { ["client_id"] = "latchkey-cli", ["scope"] = "openid offline_access" });
        var userCode = (string)device["user_code"]!;
        await http.GetAsync(new Uri((string)device["verification_uri_complete"]!));
        await member.ApproveDeviceAsync(userCode);
        var deviceTokens = await PostAsync(http, "/oauth/token", new() { ["grant_type"] = "urn:ietf:params:oauth:grant-type:device_code", ["device_code"] = (string)device["device_code"]!, ["client_id"] = "latchkey-cli" });

        secrets.AddRange([code, state, verifier, userCode, userCode.Replace("-", "", StringComparison.Ordinal), (string)device["device_code"]!]);
        foreach (var t in new[] { tokens, refreshed, deviceTokens })
        {
            secrets.AddRange(new[] { "access_token", "refresh_token", "id_token" }.Select(k => (string?)t[k]).OfType<string>());
        }

        await Task.Delay(500); // let the last log lines arrive
        var log = server.Output;
        Assert.Contains("Request starting", log, StringComparison.Ordinal); // request logging really was on
        Assert.Contains("\"EventId\"", log, StringComparison.Ordinal); // as JSON
        foreach (var secret in secrets)
        {
            Assert.False(log.Contains(secret, StringComparison.Ordinal), $"A secret ({secret[..4]}…) is in the log.");
        }

        // The setup link is printed once, to the operator's console, by design; not again in a request log line.
        Assert.Equal(1, Count(log, setupToken));
        Directory.Delete(elsewhere, recursive: true);
    }

    [Fact]
    public async Task StartedFromAnotherDirectory_ReadsItsOwnAppSettings_SoRequestLinesStayQuiet()
    {
        var elsewhere = Directory.CreateTempSubdirectory("latchkey-cwd-").FullName;
        await using var server = await ServerProcess.StartAsync(Directory.CreateTempSubdirectory("latchkey-e2e-").FullName, workingDirectory: elsewhere);
        using var http = new HttpClient();
        await http.GetAsync(new Uri(server.Issuer + "/oauth/authorize?client_id=latchkey-cli&state=quiet-state-value"));
        await Task.Delay(300);

        // appsettings.json (next to the binary) sets Microsoft.AspNetCore to Warning; the default level is Information.
        Assert.DoesNotContain("Request starting", server.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("quiet-state-value", server.Output, StringComparison.Ordinal);
        Directory.Delete(elsewhere, recursive: true);
    }

    private static int Count(string text, string value)
    {
        var count = 0;
        for (var i = text.IndexOf(value, StringComparison.Ordinal); i >= 0; i = text.IndexOf(value, i + value.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    private static async Task<JsonObject> PostAsync(HttpClient http, string path, Dictionary<string, string> form)
    {
        using var content = new FormUrlEncodedContent(form);
        var response = await http.PostAsync(new Uri(path, UriKind.Relative), content);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {body}");
        return JsonNode.Parse(body)!.AsObject();
    }

    private static string Base64Url(byte[] bytes) => WebEncoders.Base64UrlEncode(bytes);
}
