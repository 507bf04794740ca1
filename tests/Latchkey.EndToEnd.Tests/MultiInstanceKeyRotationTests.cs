using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.WebUtilities;
using Npgsql;

namespace Latchkey.EndToEnd.Tests;

/// <summary>
/// Two real server instances on one PostgreSQL database, under concurrent load: tokens minted by either are validated
/// by the other while an operator runs `rotate-keys`. The new key is published first and signs only after every
/// instance has it, and an instance that meets an unknown kid waits for one reload: no valid token is refused.
/// </summary>
public sealed class MultiInstanceKeyRotationTests
{
    [Fact]
    public async Task RotateKeys_TwoInstancesUnderLoad_NoValidTokenIsRefused()
    {
        var admin = Environment.GetEnvironmentVariable("LATCHKEY_TEST_POSTGRES");
        if (string.IsNullOrWhiteSpace(admin))
        {
            Assert.SkipWhen(!string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase), "LATCHKEY_TEST_POSTGRES is not set");
            throw new InvalidOperationException("LATCHKEY_TEST_POSTGRES must be set in CI.");
        }

        var name = "lk_e2e_" + Guid.NewGuid().ToString("N");
        await using (var c = new NpgsqlConnection(admin))
        {
            await c.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", c);
            await create.ExecuteNonQueryAsync();
        }

        var environment = new Dictionary<string, string>
        {
            ["Latchkey__Database__Provider"] = "postgres",
            ["Latchkey__Database__ConnectionString"] = new NpgsqlConnectionStringBuilder(admin) { Database = name, Timeout = 60, CommandTimeout = 60 }.ConnectionString, // a loaded CI machine
            ["Latchkey__KeyProtection__Key"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)), // shared by both
            ["Latchkey__Issuer"] = "http://127.0.0.1:9", // one public URL for both instances, as behind a load balancer
            ["Latchkey__SigningKeys__CacheLifetime"] = "00:00:02",
            ["Latchkey__SigningKeys__PropagationDelay"] = "00:00:04",
            ["Latchkey__RateLimits__TokenEndpointPerMinute"] = "100000",
            ["Logging__LogLevel__Default"] = "Warning",
            ["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information",
        };
        await using var a = await ServerProcess.StartAsync(environment);
        await using var b = await ServerProcess.StartAsync(environment);
        using var owner = await HttpUser.CreateOwnerAsync(a);
        using var http = new HttpClient();
        var refreshToken = await SignInAsync(owner, a, http);

        var latest = (string)(await RefreshAsync(http, a, refreshToken)).Tokens["access_token"]!;
        var refused = new ConcurrentBag<string>();
        var kids = new ConcurrentDictionary<string, int>();
        var validations = 0;
        using var stop = new CancellationTokenSource();
        var minter = Task.Run(async () =>
        {
            var i = 0;
            while (!stop.IsCancellationRequested)
            {
                var (tokens, next) = await RefreshAsync(http, ++i % 2 == 0 ? a : b, refreshToken);
                refreshToken = next;
                latest = (string)tokens["access_token"]!;
                kids.AddOrUpdate(Kid(latest), 1, (_, n) => n + 1);
                await Task.Delay(50);
            }
        });
        var validators = Enumerable.Range(0, 16).Select(n => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var token = latest;
                using var request = new HttpRequestMessage(HttpMethod.Get, new Uri((n % 2 == 0 ? a : b).Issuer + "/oauth/userinfo"));
                request.Headers.Authorization = new("Bearer", token);
                using var response = await http.SendAsync(request);
                Interlocked.Increment(ref validations);
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    refused.Add($"{(int)response.StatusCode} kid {Kid(token)}: {await response.Content.ReadAsStringAsync()}");
                }
            }
        })).ToList();

        await Task.Delay(TimeSpan.FromSeconds(2));
        var rotate = await RunOperatorCommandAsync("rotate-keys", a.DataDirectory, environment);
        var newKid = rotate.Split(' ', StringSplitOptions.RemoveEmptyEntries).SkipWhile(w => w != "key").Skip(1).First();
        await Task.Delay(TimeSpan.FromSeconds(9)); // past activation (4 s) and two cache lifetimes
        await stop.CancelAsync();
        await minter;
        await Task.WhenAll(validators);

        Assert.True(kids.ContainsKey(newKid), $"No token was signed with the new key {newKid}: {string.Join(", ", kids.Keys)}\n{rotate}");
        Assert.True(kids.Count >= 2, "Tokens of both the old and the new key were validated.");
        Assert.True(validations > 100, $"Only {validations} validations ran.");
        Assert.True(refused.IsEmpty, $"{refused.Count} of {validations} valid tokens refused: {string.Join("\n", refused.Take(5))}");
    }

    private static async Task<string> SignInAsync(HttpUser user, ServerProcess server, HttpClient http)
    {
        var verifier = WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(32));
        var authorize = QueryHelpers.AddQueryString(server.Issuer + "/oauth/authorize", new Dictionary<string, string?>
        {
            ["response_type"] = "code",
            ["client_id"] = "latchkey-cli",
            ["redirect_uri"] = "http://127.0.0.1:1455/auth/callback",
            ["code_challenge"] = WebEncoders.Base64UrlEncode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))),
            ["code_challenge_method"] = "S256",
            ["state"] = "s",
            ["scope"] = "openid offline_access",
        });
        var code = QueryHelpers.ParseQuery(new Uri(await user.AuthorizeAsync(authorize)).Query)["code"].ToString();
        var tokens = await PostAsync(http, server, new() { ["grant_type"] = "authorization_code", ["code"] = code, ["redirect_uri"] = "http://127.0.0.1:1455/auth/callback", ["client_id"] = "latchkey-cli", ["code_verifier"] = verifier });
        return (string)tokens["refresh_token"]!;
    }

    private static async Task<(JsonObject Tokens, string Next)> RefreshAsync(HttpClient http, ServerProcess server, string refreshToken)
    {
        var tokens = await PostAsync(http, server, new() { ["grant_type"] = "refresh_token", ["refresh_token"] = refreshToken, ["client_id"] = "latchkey-cli" });
        return (tokens, (string)tokens["refresh_token"]!);
    }

    private static async Task<JsonObject> PostAsync(HttpClient http, ServerProcess server, Dictionary<string, string> form)
    {
        using var content = new FormUrlEncodedContent(form);
        using var response = await http.PostAsync(new Uri(server.Issuer + "/oauth/token"), content);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        return JsonNode.Parse(body)!.AsObject();
    }

    private static string Kid(string jwt)
        => (string)JsonNode.Parse(WebEncoders.Base64UrlDecode(jwt[..jwt.IndexOf('.', StringComparison.Ordinal)]))!["kid"]!;

    private static async Task<string> RunOperatorCommandAsync(string command, string dataDirectory, IDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { RepositoryPaths.ServerDll, command, "--data-dir", dataDirectory })
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (k, v) in environment)
        {
            start.Environment[k] = v;
        }

        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, output);
        return output;
    }
}
