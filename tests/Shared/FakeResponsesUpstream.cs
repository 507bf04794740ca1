using System.Collections.Concurrent;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Latchkey.Tests.Fakes;

/// <summary>
/// A small stand-in for an OpenAI-compatible upstream on 127.0.0.1: `POST /v1/responses` streams a Responses reply
/// as server-sent events (a pause between events, so buffering would show), `GET /v1/models` lists one model, and
/// every request is recorded (headers included) so tests can see what the gateway forwarded.
/// </summary>
public sealed class FakeResponsesUpstream : IAsyncDisposable
{
    public const string ApiKey = "upstream-secret-key-for-tests";
    public const string ReplyText = "Hello from the fake upstream";

    private readonly WebApplication app;

    private FakeResponsesUpstream(WebApplication app) => this.app = app;

    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();

    /// <summary>Pause between streamed events.</summary>
    public TimeSpan EventDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>When set, /v1/responses never answers (for timeout tests).</summary>
    public bool Hang { get; set; }

    public string BaseUrl { get; private set; } = string.Empty;

    /// <summary>What the upstream received: the path as it arrived on the wire (not decoded), headers, and the body's first 64 KiB and length.</summary>
    public sealed record RecordedRequest(string Method, string Path, string? Authorization, IReadOnlyDictionary<string, string> Headers, string Body, long BodyLength);

    public string ExpectedKey { get; private set; } = ApiKey;

    public static async Task<FakeResponsesUpstream> StartAsync(string apiKey = ApiKey)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var upstream = new FakeResponsesUpstream(app) { ExpectedKey = apiKey };
        app.Use(async (context, next) =>
        {
            // Bodies are read as they come and only their start is kept, so large uploads cost the fake no memory.
            context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>()!.MaxRequestBodySize = null;
            var head = new MemoryStream();
            var chunk = new byte[64 * 1024];
            long length = 0;
            int read;
            while ((read = await context.Request.Body.ReadAsync(chunk, context.RequestAborted)) > 0)
            {
                if (head.Length < chunk.Length)
                {
                    head.Write(chunk, 0, (int)Math.Min(read, chunk.Length - head.Length));
                }

                length += read;
            }

            var raw = context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestFeature>()?.RawTarget ?? context.Request.Path.Value ?? string.Empty;
            upstream.Requests.Enqueue(new RecordedRequest(
                context.Request.Method,
                raw.Split('?')[0],
                context.Request.Headers.Authorization.ToString() is { Length: > 0 } a ? a : null,
                context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
                Encoding.UTF8.GetString(head.ToArray()),
                length));
            if (context.Request.Headers.Authorization.ToString() != "Bearer " + upstream.ExpectedKey)
            {
                context.Response.StatusCode = 401;
                await context.Response.WriteAsync("{\"error\":{\"message\":\"bad upstream key\"}}");
                return;
            }

            await next();
        });
        app.MapGet("/v1/models", () => Results.Text("{\"object\":\"list\",\"data\":[{\"id\":\"lk-test-model\",\"object\":\"model\",\"owned_by\":\"latchkey-tests\"}]}", "application/json"));
        app.MapPost("/v1/files", () => Results.Text("{\"id\":\"file-lk-1\",\"object\":\"file\"}", "application/json"));
        app.MapPost("/v1/responses", async context =>
        {
            if (upstream.Hang)
            {
                await Task.Delay(Timeout.Infinite, context.RequestAborted);
            }

            context.Response.ContentType = "text/event-stream";
            context.Response.Headers.CacheControl = "no-cache";
            foreach (var (name, data) in Events())
            {
                await context.Response.WriteAsync($"event: {name}\ndata: {data}\n\n", context.RequestAborted);
                await context.Response.Body.FlushAsync(context.RequestAborted);
                await Task.Delay(upstream.EventDelay, context.RequestAborted);
            }
        });
        await app.StartAsync();
        upstream.BaseUrl = app.Urls.Single().TrimEnd('/') + "/v1";
        return upstream;
    }

    private static IEnumerable<(string Name, string Data)> Events()
    {
        yield return ("response.created", "{\"type\":\"response.created\",\"response\":{\"id\":\"resp_lk_1\"}}");
        yield return ("response.output_item.added", "{\"type\":\"response.output_item.added\",\"output_index\":0,\"item\":{\"type\":\"message\",\"role\":\"assistant\",\"id\":\"msg_lk_1\",\"content\":[]}}");
        foreach (var word in ReplyText.Split(' '))
        {
            yield return ("response.output_text.delta", $"{{\"type\":\"response.output_text.delta\",\"item_id\":\"msg_lk_1\",\"output_index\":0,\"content_index\":0,\"delta\":\"{word} \"}}");
        }

        yield return ("response.output_item.done", $"{{\"type\":\"response.output_item.done\",\"output_index\":0,\"item\":{{\"type\":\"message\",\"role\":\"assistant\",\"id\":\"msg_lk_1\",\"content\":[{{\"type\":\"output_text\",\"text\":\"{ReplyText}\"}}]}}}}");
        yield return ("response.completed", "{\"type\":\"response.completed\",\"response\":{\"id\":\"resp_lk_1\",\"usage\":{\"input_tokens\":5,\"input_tokens_details\":null,\"output_tokens\":5,\"output_tokens_details\":null,\"total_tokens\":10}}}");
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
