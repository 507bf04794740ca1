using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Latchkey.EndToEnd.Tests.Bench;

/// <summary>The measured work, each the same requests against every target.</summary>
public sealed class Workloads(TimeSpan duration, TimeSpan warmUp)
{
    /// <summary>Refresh with rotation: each virtual client is one sign-in and always sends its newest refresh token.</summary>
    public async Task<Measurement> RefreshAsync(IBenchTarget target, int chains, string work)
    {
        ArgumentNullException.ThrowIfNull(target);
        var newest = (await BenchHttp.SignInsAsync(target, chains, CancellationToken.None)).Select(t => t.GetProperty("refresh_token").GetString()!).ToArray();
        return await LoadGenerator.RunAsync(work, target.Name, target.Meter, chains, duration, warmUp, async (i, ct) =>
        {
            var (tokens, error) = await BenchHttp.TokenAsync(target, new() { ["grant_type"] = "refresh_token", ["refresh_token"] = newest[i] }, ct);
            if (tokens is { } t)
            {
                newest[i] = t.GetProperty("refresh_token").GetString()!;
            }

            return new StepOutcome(error);
        });
    }

    /// <summary>Code + PKCE exchange: codes are made before the timed part; the run ends at the time limit or when they run out.</summary>
    public async Task<Measurement> CodeExchangeAsync(IBenchTarget target, int concurrency, int codes)
    {
        ArgumentNullException.ThrowIfNull(target);
        var minted = await target.MintCodesAsync(codes, CancellationToken.None);
        var next = -1;
        return await LoadGenerator.RunAsync($"code + PKCE exchange, {concurrency}", target.Name, target.Meter, concurrency, duration, TimeSpan.Zero, async (_, ct) =>
        {
            var index = Interlocked.Increment(ref next);
            if (index >= minted.Count)
            {
                return new StepOutcome(Skipped: true);
            }

            return new StepOutcome((await BenchHttp.ExchangeAsync(target, minted[index], ct)).Error);
        }, more: () => Volatile.Read(ref next) < minted.Count - 1);
    }

    /// <summary>
    /// Device flow (RFC 8628): start, the user approves, then the client's next poll; timed from the approval's answer
    /// to the tokens (the polling interval itself is the client's wait, the same on every server, so not counted).
    /// </summary>
    public Task<Measurement> DeviceAsync(IBenchTarget target, int concurrency)
    {
        ArgumentNullException.ThrowIfNull(target);
        return LoadGenerator.RunAsync($"device flow approval → tokens, {concurrency}", target.Name, target.Meter, concurrency, duration, warmUp, async (_, ct) =>
        {
            using var form = new FormUrlEncodedContent(new Dictionary<string, string> { ["client_id"] = target.ClientId, ["scope"] = "openid offline_access" });
            using var started = await target.Http.PostAsync(new Uri(target.DeviceAuthorizationPath, UriKind.Relative), form, ct);
            var body = await started.Content.ReadAsStringAsync(ct);
            if (started.StatusCode != HttpStatusCode.OK)
            {
                return new StepOutcome($"device authorization {(int)started.StatusCode} {body}");
            }

            using var json = JsonDocument.Parse(body);
            await target.ApproveDeviceAsync(json.RootElement.GetProperty("user_code").GetString()!, ct);
            var approved = Stopwatch.GetTimestamp();
            var (_, error) = await BenchHttp.TokenAsync(target, new()
            {
                ["grant_type"] = "urn:ietf:params:oauth:grant-type:device_code",
                ["device_code"] = json.RootElement.GetProperty("device_code").GetString()!,
            }, ct);
            return new StepOutcome(error, Stopwatch.GetElapsedTime(approved).TotalMilliseconds);
        });
    }

    /// <summary>GET with a bearer: each virtual client holds the access token of its own sign-in.</summary>
    public async Task<Measurement> BearerGetAsync(IBenchTarget target, string path, int concurrency, string work, HttpClient? via = null)
    {
        ArgumentNullException.ThrowIfNull(target);
        var accessTokens = (await BenchHttp.SignInsAsync(target, concurrency, CancellationToken.None)).Select(t => t.GetProperty("access_token").GetString()!).ToArray();
        var http = via ?? target.Http;
        return await LoadGenerator.RunAsync(work, target.Name, target.Meter, concurrency, duration, warmUp, async (i, ct) =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(path, UriKind.Relative));
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessTokens[i]);
            using var response = await http.SendAsync(request, ct);
            var body = await response.Content.ReadAsStringAsync(ct);
            return new StepOutcome(response.StatusCode == HttpStatusCode.OK ? null : $"{(int)response.StatusCode} {body[..Math.Min(200, body.Length)]}");
        });
    }
}
