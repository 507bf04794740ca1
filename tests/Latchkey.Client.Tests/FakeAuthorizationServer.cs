using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace Latchkey.Client.Tests;

/// <summary>
/// An in-memory authorization server behind an HttpMessageHandler. Each expected request is scripted; any request
/// nobody scripted fails the test loudly instead of returning something plausible.
/// </summary>
public sealed class FakeAuthorizationServer : HttpMessageHandler
{
    public const string Issuer = "http://127.0.0.1:5999";
    private readonly Dictionary<string, Queue<Func<HttpRequestMessage, string, HttpResponseMessage>>> routes = new(StringComparer.Ordinal);

    public List<(string Method, string Path, string Body)> Requests { get; } = [];

    public void On(string method, string path, Func<HttpRequestMessage, string, HttpResponseMessage> respond)
    {
        var key = method + " " + path;
        if (!routes.TryGetValue(key, out var queue))
        {
            routes[key] = queue = new Queue<Func<HttpRequestMessage, string, HttpResponseMessage>>();
        }

        queue.Enqueue(respond);
    }

    public void OnJson(string method, string path, int status, JsonObject body)
        => On(method, path, (_, _) => Json(status, body));

    public void OnDiscovery(bool device = true)
    {
        var doc = new JsonObject
        {
            ["issuer"] = Issuer,
            ["authorization_endpoint"] = Issuer + "/oauth/authorize",
            ["token_endpoint"] = Issuer + "/oauth/token",
            ["revocation_endpoint"] = Issuer + "/oauth/revoke",
        };
        if (device)
        {
            doc["device_authorization_endpoint"] = Issuer + "/oauth/device_authorization";
        }

        OnJson("GET", "/.well-known/openid-configuration", 200, doc);
    }

    public static HttpResponseMessage Json(int status, JsonObject body)
        => new((HttpStatusCode)status) { Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json") };

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? string.Empty : await request.Content.ReadAsStringAsync(cancellationToken);
        var path = request.RequestUri!.AbsolutePath;
        lock (Requests)
        {
            Requests.Add((request.Method.Method, path, body));
        }

        var key = request.Method.Method + " " + path;
        lock (routes)
        {
            if (routes.TryGetValue(key, out var queue) && queue.Count > 0)
            {
                return queue.Count == 1 ? queue.Peek()(request, body) : queue.Dequeue()(request, body);
            }
        }

        Assert.Fail($"Unexpected request to the fake authorization server: {key}\n{body}");
        throw new InvalidOperationException();
    }
}
