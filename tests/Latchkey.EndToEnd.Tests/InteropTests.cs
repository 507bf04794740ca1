using System.Diagnostics;
using System.Text.Json.Nodes;
using Latchkey.Protocol.Tokens;

namespace Latchkey.EndToEnd.Tests;

/// <summary>
/// The real server process driven by independent implementations from npm: openid-client (discovery, code flow
/// with PKCE, refresh, introspection, revocation, device flow) and jose (id_token and access token against JWKS).
/// </summary>
public sealed class InteropTests
{
    [Fact]
    public async Task OpenIdClientAndJose_CompleteEveryFlow()
    {
        var nodeModules = Path.Combine(RepositoryPaths.Root, "tests", "interop", "node_modules");
        if (!Directory.Exists(nodeModules))
        {
            Assert.False(string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase), "tests/interop/node_modules is missing; .ci/run installs it.");
            Assert.Skip("Run `npm ci --prefix tests/interop` to enable the interop test.");
        }

        const string rsSecret = "interop-resource-server-secret-0123456789";
        await using var server = await ServerProcess.StartAsync(new Dictionary<string, string>
        {
            ["Latchkey__Clients__0__ClientId"] = "interop-rs",
            ["Latchkey__Clients__0__SecretSha256"] = SecretDigest.Compute(rsSecret),
            ["Latchkey__Clients__0__AllowDeviceCode"] = "false",
        });
        using var user = await HttpUser.CreateOwnerAsync(server);

        var start = new ProcessStartInfo("node") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(RepositoryPaths.Root, "tests", "interop", "oidc-interop.mjs"));
        start.Environment["ISSUER"] = server.Issuer;
        start.Environment["RS_CLIENT_ID"] = "interop-rs";
        start.Environment["RS_CLIENT_SECRET"] = rsSecret;
        using var node = Process.Start(start)!;
        var stderr = node.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));

        JsonObject? results = null;
        var callbacks = new List<string>();
        while (await node.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            var message = JsonNode.Parse(line)!.AsObject();
            switch ((string?)message["step"])
            {
                case "authorize":
                    var callback = await user.AuthorizeAsync((string)message["url"]!);
                    callbacks.Add(callback);
                    await node.StandardInput.WriteLineAsync(callback);
                    await node.StandardInput.FlushAsync(timeout.Token);
                    break;
                case "device":
                    await user.ApproveDeviceAsync((string)message["user_code"]!);
                    await node.StandardInput.WriteLineAsync("approved");
                    await node.StandardInput.FlushAsync(timeout.Token);
                    break;
                case "done":
                    results = message["results"]!.AsObject();
                    break;
            }
        }

        await node.WaitForExitAsync(timeout.Token);
        Assert.True(results is not null, "node gave no results:\n" + await stderr + "\nserver:\n" + server.Output);
        foreach (var (name, value) in results)
        {
            Assert.True((string?)value == "ok", $"{name}: {value}");
        }

        Assert.Equal(
            ["discovery", "code_flow", "jose_id_token", "jose_access_token", "userinfo", "refresh_rotates", "introspect_active", "revoke_then_inactive", "refresh_after_revoke_refused", "device_flow"],
            results.Select(r => r.Key));
        Assert.Equal(0, node.ExitCode);

        // Nothing secret reaches the server's log: not the authorization code, the password or the TOTP key.
        var code = System.Web.HttpUtility.ParseQueryString(new Uri(callbacks.Single()).Query)["code"]!;
        Assert.DoesNotContain(code, server.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(user.Password, server.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(user.TotpSecret, server.Output, StringComparison.Ordinal);
    }
}
