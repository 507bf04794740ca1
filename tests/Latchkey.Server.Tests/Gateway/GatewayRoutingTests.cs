using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Latchkey.Server.Configuration;
using Latchkey.Server.Gateway;
using Latchkey.Server.Storage;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Tests.Infrastructure;
using Latchkey.Server.Workspaces;
using Latchkey.Tests.Fakes;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Tests.Gateway;

/// <summary>Two real upstreams on loopback (an "OpenAI" and a "local" one, each with its own key), model routing, workspace model lists, per-caller limits and metrics.</summary>
public sealed class GatewayRoutingTests : IAsyncLifetime
{
    private const string LocalKey = "local-upstream-key-for-tests";
    private FakeResponsesUpstream openai = null!;
    private FakeResponsesUpstream local = null!;
    private LatchkeyServerFactory factory = null!;
    private Team team = null!;

    public async ValueTask InitializeAsync()
    {
        openai = await FakeResponsesUpstream.StartAsync();
        local = await FakeResponsesUpstream.StartAsync(LocalKey);
        openai.EventDelay = local.EventDelay = TimeSpan.Zero;
        factory = await LatchkeyServerFactory.StartAsync(DatabaseEngine.Sqlite, new Dictionary<string, string?>
        {
            ["Latchkey:Gateway:Upstreams:0:Name"] = "openai",
            ["Latchkey:Gateway:Upstreams:0:BaseUrl"] = openai.BaseUrl,
            ["Latchkey:Gateway:Upstreams:0:ApiKey"] = FakeResponsesUpstream.ApiKey,
            ["Latchkey:Gateway:Upstreams:0:Models:0"] = "lk-test-*",
            ["Latchkey:Gateway:Upstreams:0:Default"] = "true",
            ["Latchkey:Gateway:Upstreams:1:Name"] = "local",
            ["Latchkey:Gateway:Upstreams:1:BaseUrl"] = local.BaseUrl,
            ["Latchkey:Gateway:Upstreams:1:ApiKey"] = LocalKey,
            ["Latchkey:Gateway:Upstreams:1:Models:0"] = "local-*",
            ["Latchkey:Gateway:Upstreams:1:PathPrefixes:0"] = "embeddings",
            ["Latchkey:Gateway:ModelPeekBytes"] = "1024",
            ["Latchkey:Gateway:ConcurrentRequestsPerCaller"] = "2",
            ["Latchkey:Gateway:RequestsPerMinutePerCaller"] = "20",
            ["Latchkey:Gateway:RequestTimeout"] = "00:00:05",
        });
        team = await Team.CreateAsync(factory, ("member", WorkspaceRoles.Member), ("other", WorkspaceRoles.Member));
    }

    public async ValueTask DisposeAsync()
    {
        await factory.DisposeAsync();
        await openai.DisposeAsync();
        await local.DisposeAsync();
    }

    private async Task<(HttpStatusCode Status, string Body)> PostAsync(string body, string path = "/v1/responses", string label = "owner", string contentType = "application/json")
    {
        using var client = team.Client(label);
        using var content = new StringContent(body, Encoding.UTF8);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        using var response = await client.PostAsync(new Uri(path, UriKind.Relative), content);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Each_model_goes_to_its_upstream_with_that_upstreams_key_and_path_prefixes_win()
    {
        Assert.Equal(HttpStatusCode.OK, (await PostAsync("{\"model\":\"lk-test-model\",\"input\":\"hi\"}")).Status);
        Assert.Equal(HttpStatusCode.OK, (await PostAsync("{\"input\":\"hi\",\"stream\":true,\"model\":\"local-llama\"}")).Status);
        await PostAsync("{\"model\":\"lk-test-model\",\"input\":\"embed me\"}", "/v1/embeddings");
        var (status, _) = await team.Client("owner").SendAsync(HttpMethod.Get, "/v1/models");
        Assert.Equal(HttpStatusCode.OK, status);

        Assert.Equal(["/v1/responses", "/v1/models"], openai.Requests.Select(r => r.Path));
        Assert.Equal(["/v1/responses", "/v1/embeddings"], local.Requests.Select(r => r.Path));
        Assert.All(openai.Requests, r => Assert.Equal("Bearer " + FakeResponsesUpstream.ApiKey, r.Authorization));
        Assert.All(local.Requests, r => Assert.Equal("Bearer " + LocalKey, r.Authorization));
        Assert.Contains("local-llama", local.Requests.First().Body, StringComparison.Ordinal);

        await factory.FlushUsageEventsAsync();
        var events = await factory.Get<AuditRepository>().QueryAsync("gateway.request", team.Owner.Id, 10, CancellationToken.None);
        var details = events.Select(e => JsonNode.Parse(e.Detail!)!).ToList();
        Assert.Contains(details, d => d["upstream"]?.GetValue<string>() == "local" && d["model"]?.GetValue<string>() == "local-llama" && d["status"]!.GetValue<int>() == 200);
        Assert.All(details, d => Assert.True(d["duration_ms"] is not null && d["bytes_in"] is not null && d["bytes_out"] is not null && d["credential_id"] is not null));
    }

    [Fact]
    public async Task An_unserved_model_without_a_default_is_404_and_an_unreadable_one_is_400()
    {
        // The model sits after 1 KiB (ModelPeekBytes): the gateway routes by model, so it must not guess.
        var (late, body) = await PostAsync("{\"input\":\"" + new string('x', 2000) + "\",\"model\":\"local-llama\"}");
        Assert.Equal(HttpStatusCode.BadRequest, late);
        Assert.Contains("model_unreadable", body, StringComparison.Ordinal);
        Assert.Empty(openai.Requests);
        Assert.Empty(local.Requests);
    }

    [Fact]
    public async Task A_second_top_level_model_is_refused_even_escaped_or_past_the_peeked_prefix()
    {
        // Upstream JSON parsers keep the last duplicate key; a check on the first would be bypassed (RFC 8259 §4).
        foreach (var body in new[]
        {
            "{\"model\":\"lk-test-model\",\"model\":\"local-llama\"}",
            "{\"model\":\"lk-test-model\",\"mod\\u0065l\":\"local-llama\"}",
            "{\"model\":[\"lk-test-model\"]}",
            "{\"model\":\"lk-test-model\"}{\"model\":\"x\"}",
        })
        {
            var (status, text) = await PostAsync(body);
            Assert.True(status == HttpStatusCode.BadRequest, body + " → " + text);
        }

        Assert.Empty(openai.Requests);
        Assert.Empty(local.Requests);

        // Past the prefix the request is already on its way: it is cut, so the upstream never gets a whole body.
        var tail = "{\"model\":\"lk-test-model\",\"input\":\"" + new string('x', 4000) + "\",\"model\":\"local-llama\"}";
        var (cut, _) = await PostAsync(tail);
        Assert.Equal(HttpStatusCode.BadRequest, cut);
        Assert.DoesNotContain(openai.Requests, r => r.BodyLength == Encoding.UTF8.GetByteCount(tail));
    }

    [Fact]
    public async Task A_workspace_model_list_refuses_other_models_and_unreadable_bodies_with_403()
    {
        factory.Get<IOptions<LatchkeyServerOptions>>().Value.Gateway.WorkspaceModels[team.WorkspaceId] = ["local-*"];
        var (refused, body) = await PostAsync("{\"model\":\"lk-test-model\",\"input\":\"hi\"}", label: "member");
        Assert.Equal(HttpStatusCode.Forbidden, refused);
        Assert.Contains("model_not_allowed", body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, (await PostAsync("--b\r\nmodel: lk-test-model\r\n--b--", "/v1/files", "member", "multipart/form-data; boundary=b")).Status);
        Assert.Empty(openai.Requests);

        Assert.Equal(HttpStatusCode.OK, (await PostAsync("{\"model\":\"local-llama\",\"input\":\"hi\"}", label: "member")).Status);
        Assert.Equal(HttpStatusCode.OK, (await team.Client("member").SendAsync(HttpMethod.Get, "/v1/models")).Status);
    }

    [Fact]
    public async Task One_credential_past_its_concurrency_or_rate_limit_gets_429_with_Retry_After()
    {
        // RFC 6585 §4: 429 with Retry-After. Concurrency: two requests hang upstream, the third is refused.
        openai.Hang = true;
        using var cancel = new CancellationTokenSource();
        var hanging = Enumerable.Range(0, 2).Select(_ => Task.Run(async () =>
        {
            using var client = team.Client("member");
            using var content = new StringContent("{\"model\":\"lk-test-model\"}", Encoding.UTF8, "application/json");
            try
            {
                using var r = await client.PostAsync(new Uri("/v1/responses", UriKind.Relative), content, cancel.Token);
            }
            catch (OperationCanceledException)
            {
            }
        })).ToList();
        for (var i = 0; i < 100 && openai.Requests.Count < 2; i++)
        {
            await Task.Delay(50);
        }

        using (var third = await team.Client("member").GetAsync(new Uri("/v1/models", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
            Assert.Equal("1", third.Headers.GetValues("Retry-After").Single());
        }

        using (var someoneElse = await team.Client("other").GetAsync(new Uri("/v1/models", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.OK, someoneElse.StatusCode);
        }

        await cancel.CancelAsync();
        await Task.WhenAll(hanging);
        openai.Hang = false;

        // Rate: 20 a minute for one credential (the "other" member has used 1), then 429 until the window passes.
        for (var i = 1; i < 20; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await team.Client("other").SendAsync(HttpMethod.Get, "/v1/models")).Status);
        }

        using (var limited = await team.Client("other").GetAsync(new Uri("/v1/models", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
            var retry = int.Parse(limited.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture);
            Assert.InRange(retry, 1, 60);
        }

        factory.Clock.Advance(TimeSpan.FromSeconds(61));
        Assert.Equal(HttpStatusCode.OK, (await team.Client("other").SendAsync(HttpMethod.Get, "/v1/models")).Status);
    }

    [Fact]
    public async Task The_Latchkey_Gateway_meter_counts_requests_latency_status_and_bytes()
    {
        var scope = factory.Get<IMeterFactory>();
        var measurements = new List<(string Instrument, double Value, Dictionary<string, object?> Tags)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == GatewayMetrics.MeterName && ReferenceEquals(instrument.Meter.Scope, scope))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var copy = new Dictionary<string, object?>();
            foreach (var t in tags)
            {
                copy[t.Key] = t.Value;
            }

            lock (measurements)
            {
                measurements.Add((instrument.Name, value, copy));
            }
        }

        listener.SetMeasurementEventCallback<long>((i, v, t, _) => Record(i, v, t));
        listener.SetMeasurementEventCallback<double>((i, v, t, _) => Record(i, v, t));
        listener.Start();

        Assert.Equal(HttpStatusCode.OK, (await PostAsync("{\"model\":\"local-llama\",\"input\":\"hi\"}")).Status);
        using (var anonymous = factory.CreateClient())
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(new Uri("/v1/models", UriKind.Relative))).StatusCode);
        }

        Assert.Contains(measurements, m => m.Instrument == "latchkey.gateway.requests" && m.Value == 1 && (string?)m.Tags["latchkey.gateway.upstream"] == "local"
            && (int?)m.Tags["http.response.status_code"] == 200 && (string?)m.Tags["latchkey.gateway.outcome"] == "forwarded");
        Assert.Contains(measurements, m => m.Instrument == "latchkey.gateway.requests" && (int?)m.Tags["http.response.status_code"] == 401 && (string?)m.Tags["latchkey.gateway.outcome"] == "missing_credential");
        Assert.Contains(measurements, m => m.Instrument == "latchkey.gateway.request.duration" && m.Value > 0 && (string?)m.Tags["latchkey.gateway.upstream"] == "local");
        Assert.Contains(measurements, m => m.Instrument == "latchkey.gateway.bytes" && (string?)m.Tags["latchkey.gateway.direction"] == "request" && m.Value == 36);
        Assert.Contains(measurements, m => m.Instrument == "latchkey.gateway.bytes" && (string?)m.Tags["latchkey.gateway.direction"] == "response" && m.Value > 500);
        Assert.Equal(0, measurements.Where(m => m.Instrument == "latchkey.gateway.active_requests").Sum(m => m.Value));
        Assert.Contains(measurements, m => m.Instrument == "latchkey.gateway.active_requests" && m.Value == 1);
    }
}
