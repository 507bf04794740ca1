using System.Diagnostics;
using System.Net;
using System.Text;
using Latchkey.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Latchkey.Server.Tests.Hardening;

/// <summary>
/// A bounded storm of malformed requests over every endpoint the server maps (taken from its EndpointDataSource, so a
/// new route is covered the day it is added): broken and hostile bodies, odd charsets and content types, huge headers
/// and values, wrong methods and garbage credentials, each with no credential, a garbage one and a real owner's token.
/// No answer may be a 5xx, and the server log must hold no stack trace (ASVS 5.0 §16.5: errors handled, not leaked).
/// </summary>
public sealed class RequestStormTests(HardeningFixture fixture) : IClassFixture<HardeningFixture>
{
    private static readonly string[] AllMethods = ["GET", "POST", "PUT", "PATCH", "DELETE"];

    private readonly int logStart = fixture.Factory.Log.Entries.Count;

    [Fact]
    public async Task EveryEndpoint_MalformedRequests_NeverAnswer5xx_AndLogNoStackTrace()
    {
        var targets = Targets();
        Assert.True(targets.Count >= 30, $"Only {targets.Count} endpoints found: is the data source enumeration broken?");
        var failures = new List<string>();
        var sent = 0;
        var watch = Stopwatch.StartNew();
        using var anonymous = fixture.Client();
        var garbage = GarbageCredentials().ToArray();
        var round = 0;
        foreach (var (path, methods) in targets)
        {
            // The declared methods plus one it does not accept.
            var tried = methods.Concat(AllMethods.Where(m => !methods.Contains(m)).Take(1));
            foreach (var method in tried)
            {
                // Every body goes in once, with the owner's real token so that /api/v1 reads it (endpoints that take no
                // bearer ignore it); no credential and three garbage ones (in turn across endpoints) go without a body.
                var requests = (method == "GET" ? Bodies().Take(1) : Bodies()).Select(b => ("owner", (string?)("Bearer " + fixture.AccessToken), b))
                    .Append(("none", null, Bodies().First()))
                    .Concat(Enumerable.Range(0, 3).Select(i => ("garbage", (string?)garbage[(round + i) % garbage.Length], Bodies().First())));
                round += 3;
                foreach (var (label, authorization, (bodyName, contentType, body)) in requests)
                {
                    using var request = new HttpRequestMessage(new HttpMethod(method), path);
                    if (authorization is not null)
                    {
                        request.Headers.TryAddWithoutValidation("Authorization", authorization);
                    }

                    if (body is not null)
                    {
                        request.Content = new ByteArrayContent(body);
                        if (contentType is not null)
                        {
                            request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
                        }
                    }

                    await SendAsync(anonymous, request, $"{method} {path} [{label}, {bodyName}]", failures);
                    sent++;
                }

                foreach (var (name, mutate) in HeaderAndQueryMutations())
                {
                    using var request = new HttpRequestMessage(new HttpMethod(method), path);
                    request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + fixture.AccessToken);
                    mutate(request);
                    await SendAsync(anonymous, request, $"{method} {path} [{name}]", failures);
                    sent++;
                }
            }
        }

        var traces = fixture.Factory.Log.WithStackTraces(logStart).Take(3).ToList();
        Assert.True(failures.Count == 0, $"{failures.Count} of {sent} requests answered 5xx, for example:{Environment.NewLine}{string.Join(Environment.NewLine, failures.Take(15))}");
        Assert.True(traces.Count == 0, "Stack traces in the log:" + Environment.NewLine + string.Join(Environment.NewLine, traces));
        Assert.True(sent > 1000, $"The storm sent only {sent} requests.");
        TestContext.Current.TestOutputHelper?.WriteLine($"Storm: {sent} requests over {targets.Count} endpoints in {watch.Elapsed.TotalSeconds:F1} s.");
    }

    private static async Task SendAsync(HttpClient client, HttpRequestMessage request, string what, List<string> failures)
    {
        using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);
        if ((int)response.StatusCode >= 500)
        {
            var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
            failures.Add($"{(int)response.StatusCode} {what}: {text[..Math.Min(text.Length, 200)]}");
        }
    }

    /// <summary>Every mapped route with concrete values for its parameters, and the methods it accepts.</summary>
    private List<(string Path, string[] Methods)> Targets()
    {
        var team = fixture.Team;
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["workspaceId"] = team.WorkspaceId,
            ["userId"] = team.Owner.Id,
            ["code"] = "404",
            ["path"] = "responses",
        };
        var targets = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var endpoint in fixture.Factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>())
        {
            var segments = endpoint.RoutePattern.PathSegments.Select(segment => string.Concat(segment.Parts.Select(part => part switch
            {
                Microsoft.AspNetCore.Routing.Patterns.RoutePatternLiteralPart literal => literal.Content,
                Microsoft.AspNetCore.Routing.Patterns.RoutePatternParameterPart parameter => values.GetValueOrDefault(parameter.Name, "x_" + parameter.Name),
                Microsoft.AspNetCore.Routing.Patterns.RoutePatternSeparatorPart separator => separator.Content,
                _ => "x",
            })));
            var path = "/" + string.Join('/', segments);
            var methods = endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? AllMethods;
            if (!targets.TryGetValue(path, out var set))
            {
                targets[path] = set = new HashSet<string>(StringComparer.Ordinal);
            }

            set.UnionWith(methods.Where(AllMethods.Contains));
        }

        return [.. targets.Select(t => (t.Key, t.Value.Count == 0 ? AllMethods : t.Value.ToArray()))];
    }

    private static IEnumerable<string> GarbageCredentials()
    {
        yield return "Bearer";
        yield return "Bearer a.b.c";
        yield return "Bearer eyJhbGciOiJFUzI1NiIsImFsZyI6IkVTMjU2In0.eyJzdWIiOiJhIiwic3ViIjoiYiJ9.AAAA";
        yield return "Bearer at-" + new string('A', 43);
        yield return "Bearer sk-lk-" + new string('z', 300);
        yield return "Basic !!!not-base64";
        yield return "Bearer " + new string('x', 20_000);
        yield return "Bearer \u00e9\u00e9.\u00e9.\u00e9";
    }

    private static IEnumerable<(string Name, string? ContentType, byte[]? Body)> Bodies()
    {
        static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);
        yield return ("no body", null, null);
        yield return ("truncated json", "application/json", Utf8("{\"name\":\"ab"));
        yield return ("invalid json", "application/json", Utf8("{,]"));
        yield return ("invalid utf-8", "application/json", [.. "{\"name\":\""u8, 0xFF, 0xC3, 0x28, .. "\",\"token\":\"x\"}"u8]);
        yield return ("lone surrogate", "application/json", Utf8("{\"name\":\"\\ud800\",\"model\":\"\\ud800\",\"client_id\":\"\\udfff\",\"email\":\"a\\ud800@b.c\"}"));
        yield return ("repeated members", "application/json", Utf8("{\"name\":\"a\",\"name\":\"b\",\"role\":\"member\",\"role\":\"owner\"}"));
        yield return ("deep nesting", "application/json", Utf8(new string('[', 5000) + new string(']', 5000)));
        yield return ("wrong types", "application/json", Utf8("{\"name\":[1],\"role\":{\"a\":1},\"permissions\":\"x\",\"expires_in_days\":-1,\"access_token_max_days\":1e400,\"local_access_enabled\":\"yes\",\"client_id\":7}"));
        yield return ("big numbers", "application/json", Utf8("{\"expires_in_days\":99999999999999999999999,\"access_token_max_days\":9223372036854775807,\"audit_retention_days\":-9223372036854775808}"));
        yield return ("huge value", "application/json", Utf8("{\"name\":\"" + new string('n', 200_000) + "\"}"));
        yield return ("json array", "application/json", Utf8("[{\"name\":\"a\"}]"));
        yield return ("empty json", "application/json", []);
        yield return ("utf-16 json", "application/json; charset=utf-16", Encoding.Unicode.GetBytes("{\"name\":\"a\"}"));
        yield return ("bad form", "application/x-www-form-urlencoded", Utf8("%ZZ=%&&=&a=%FF%FE&grant_type=%00&client_id=" + new string('c', 5000)));
        yield return ("repeated form", "application/x-www-form-urlencoded", Utf8("grant_type=a&grant_type=b&token=x&token=y&email=a&email=b"));
        yield return ("utf-7 form", "application/x-www-form-urlencoded; charset=utf-7", Utf8("a=+AGEAYgBj-"));
        yield return ("unknown charset", "application/x-www-form-urlencoded; charset=klingon", Utf8("a=b"));
        yield return ("many form fields", "application/x-www-form-urlencoded", Utf8(string.Join('&', Enumerable.Range(0, 3000).Select(i => $"f{i}=v"))));
        yield return ("multipart no boundary", "multipart/form-data", Utf8("--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nb\r\n--x--\r\n"));
        yield return ("multipart broken", "multipart/form-data; boundary=x", Utf8("--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nb"));
        yield return ("garbage content type", ";;;=\"", Utf8("a=b"));
        yield return ("text", "text/plain", Utf8("hello"));
        yield return ("binary", "application/octet-stream", [0, 1, 2, 255, 254]);
    }

    private static IEnumerable<(string Name, Action<HttpRequestMessage> Mutate)> HeaderAndQueryMutations()
    {
        yield return ("huge header", r => r.Headers.TryAddWithoutValidation("X-Huge", new string('h', 30_000)));
        yield return ("garbage cookies", r => r.Headers.TryAddWithoutValidation("Cookie", "latchkey.session=%%%garbage; latchkey.af=\u00ff\u00fe; latchkey.mfa=" + new string('m', 4000)));
        yield return ("odd headers", r =>
        {
            r.Headers.TryAddWithoutValidation("chatgpt-account-id", "\u00e9" + new string('a', 5000));
            r.Headers.TryAddWithoutValidation("Accept", "text/html;q=abc, */*;;;");
            r.Headers.TryAddWithoutValidation("X-Forwarded-For", "not-an-ip, 999.1.1.1");
            r.Headers.TryAddWithoutValidation("Expect", "100-continue");
        });
        yield return ("bad query", r => r.RequestUri = new Uri(r.RequestUri!.OriginalString + "?%ZZ=1&a=%FF&client_id=%00&redirect_uri=javascript:x&user_code=" + new string('u', 5000) + "&limit=-1&before=abc&from=9999-99-99&to=0000-00-00&format=xml", UriKind.Relative));
        yield return ("repeated query", r => r.RequestUri = new Uri(r.RequestUri!.OriginalString + "?client_id=a&client_id=b&limit=1&limit=2&to=9999-12-31&from=0001-01-01&format=csv&format=json", UriKind.Relative));
    }
}
