using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Latchkey.EndToEnd.Tests;

/// <summary>
/// The Prometheus scrape of the real server: on its own loopback listener only, and its counters move with a real
/// sign-in, a device grant, a refresh and a revocation.
/// </summary>
public sealed partial class MetricsTests
{
    private const string DeviceGrant = "urn:ietf:params:oauth:grant-type:device_code";

    [Fact]
    public async Task Metrics_OnTheirOwnListenerOnly_CountersMoveWithSignInAndGrants()
    {
        var metricsPort = FreePort();
        await using var server = await ServerProcess.StartAsync(new Dictionary<string, string> { ["Latchkey__Metrics__Port"] = metricsPort.ToString(CultureInfo.InvariantCulture) });
        using var http = new HttpClient();
        var scrape = new Uri($"http://127.0.0.1:{metricsPort}/metrics");

        // Off the public listener, whatever Host header is sent; the metrics listener serves nothing else.
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(new Uri(server.Issuer + "/metrics"))).StatusCode);
        using (var spoofed = new HttpRequestMessage(HttpMethod.Get, server.Issuer + "/metrics"))
        {
            spoofed.Headers.Host = $"127.0.0.1:{metricsPort}";
            Assert.Equal(HttpStatusCode.NotFound, (await http.SendAsync(spoofed)).StatusCode);
        }

        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(new Uri($"http://127.0.0.1:{metricsPort}/.well-known/jwks.json"))).StatusCode);
        var before = await http.GetStringAsync(scrape);

        using var user = await HttpUser.CreateOwnerAsync(server); // password + TOTP enrolment: a completed sign-in
        var started = JsonNode.Parse(await PostFormAsync(http, server.Issuer + "/oauth/device_authorization", new() { ["client_id"] = "latchkey-cli", ["scope"] = "openid offline_access" }))!;
        await user.ApproveDeviceAsync((string)started["user_code"]!);
        var tokens = JsonNode.Parse(await PostFormAsync(http, server.Issuer + "/oauth/token", new()
        {
            ["grant_type"] = DeviceGrant,
            ["device_code"] = (string)started["device_code"]!,
            ["client_id"] = "latchkey-cli",
        }))!;
        var refreshed = JsonNode.Parse(await PostFormAsync(http, server.Issuer + "/oauth/token", new()
        {
            ["grant_type"] = "refresh_token",
            ["refresh_token"] = (string)tokens["refresh_token"]!,
            ["client_id"] = "latchkey-cli",
        }))!;
        await PostFormAsync(http, server.Issuer + "/oauth/revoke", new() { ["token"] = (string)refreshed["refresh_token"]!, ["client_id"] = "latchkey-cli" });
        await Task.Delay(400); // the exporter caches a scrape for 300 ms

        var after = await http.GetStringAsync(scrape);
        Assert.Equal(Value(before, "latchkey_sign_ins_total", "outcome=\"succeeded\"") + 1, Value(after, "latchkey_sign_ins_total", "outcome=\"succeeded\""));
        Assert.Equal(Value(before, "latchkey_token_grants_total", $"grant_type=\"{DeviceGrant}\"") + 1, Value(after, "latchkey_token_grants_total", $"grant_type=\"{DeviceGrant}\""));
        Assert.Equal(Value(before, "latchkey_token_grants_total", "grant_type=\"refresh_token\"") + 1, Value(after, "latchkey_token_grants_total", "grant_type=\"refresh_token\""));
        Assert.Equal(Value(before, "latchkey_device_flows_total", "stage=\"started\"") + 1, Value(after, "latchkey_device_flows_total", "stage=\"started\""));
        Assert.Equal(Value(before, "latchkey_device_flows_total", "stage=\"approved\"") + 1, Value(after, "latchkey_device_flows_total", "stage=\"approved\""));
        Assert.Equal(Value(before, "latchkey_revocations_total", "kind=\"grant\"") + 1, Value(after, "latchkey_revocations_total", "kind=\"grant\""));
        Assert.True(Value(after, "latchkey_db_operation_duration_seconds_count", "engine=\"sqlite\"") > Value(before, "latchkey_db_operation_duration_seconds_count", "engine=\"sqlite\""));
        Assert.Contains("http_server_request_duration_seconds_count", after, StringComparison.Ordinal); // ASP.NET Core instrumentation
        Assert.DoesNotContain((string)tokens["refresh_token"]!, after, StringComparison.Ordinal);
    }

    private static async Task<string> PostFormAsync(HttpClient http, string url, Dictionary<string, string> form)
    {
        using var content = new FormUrlEncodedContent(form);
        var response = await http.PostAsync(new Uri(url), content);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{url}: {(int)response.StatusCode} {body}");
        return body;
    }

    /// <summary>The sum of one metric's samples whose labels include <paramref name="label"/>; 0 when absent.</summary>
    private static double Value(string exposition, string name, string label)
        => SampleLine().Matches(exposition)
            .Where(m => m.Groups["name"].Value == name && m.Groups["labels"].Value.Contains(label, StringComparison.Ordinal))
            .Sum(m => double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture));

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)\{(?<labels>[^}]*)\} (?<value>\S+)", RegexOptions.Multiline)]
    private static partial Regex SampleLine();
}
