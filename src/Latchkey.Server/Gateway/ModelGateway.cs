using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Latchkey.Server.Audit;
using Latchkey.Server.Configuration;
using Latchkey.Server.OAuth;
using Latchkey.Server.Workspaces;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Gateway;

/// <summary>
/// /v1/… — the model gateway. Authenticates the caller (OAuth access token, `at-` token or `sk-lk-` key), applies
/// workspace policy, forwards to the operator's upstream with the upstream's own key (the caller's bearer never
/// leaves), streams the answer back chunk by chunk (server-sent events are not buffered), and records a usage event.
/// </summary>
public sealed partial class ModelGateway(IHttpClientFactory httpClients, AuditLog audit, IOptions<LatchkeyServerOptions> options, ILogger<ModelGateway> logger)
{
    public const string HttpClientName = "latchkey-upstream";

    // Hop-by-hop (RFC 9110 §7.6.1) and credentials: never forwarded in either direction.
    private static readonly HashSet<string> NotForwarded = new(StringComparer.OrdinalIgnoreCase)
    {
        "Authorization", "Cookie", "Set-Cookie", "Host", "Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization", "TE", "Trailer",
        "Transfer-Encoding", "Upgrade", "Content-Length", "Accept-Encoding", "chatgpt-account-id", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto",
    };

    private GatewayOptions Options => options.Value.Gateway;

    public static void Map(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.Map("/v1/{**path}", (HttpContext c, ModelGateway gateway) => gateway.HandleAsync(c)).DisableAntiforgery();
    }

    public async Task HandleAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var started = Stopwatch.GetTimestamp();
        var (caller, refusal) = await context.GetCallerAsync(BearerUse.Gateway);
        if (caller is null)
        {
            await WriteErrorAsync(context, refusal!.Status, refusal.Code, refusal.Message);
            return;
        }

        long bytesIn = 0, bytesOut = 0;
        string? model = null;
        var status = 0;
        try
        {
            (status, bytesIn, bytesOut, model) = await ForwardAsync(context);
        }
        finally
        {
            var detail = new JsonObject
            {
                ["credential"] = caller.CredentialKind,
                ["credential_id"] = caller.CredentialId,
                ["method"] = context.Request.Method,
                ["path"] = context.Request.Path.Value,
                ["model"] = model,
                ["status"] = status == 0 ? context.Response.StatusCode : status,
                ["bytes_in"] = bytesIn,
                ["bytes_out"] = bytesOut,
                ["duration_ms"] = (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds,
            };
            await audit.WriteAsync(AuditEventTypes.GatewayRequest, caller.UserId, caller.WorkspaceId, caller.ClientId, context.Connection.RemoteIpAddress?.ToString(), detail, CancellationToken.None);
        }
    }

    private async Task<(int Status, long BytesIn, long BytesOut, string? Model)> ForwardAsync(HttpContext context)
    {
        var request = context.Request;
        if (string.IsNullOrEmpty(Options.UpstreamBaseUrl))
        {
            await WriteErrorAsync(context, StatusCodes.Status503ServiceUnavailable, "gateway_not_configured", "The model gateway has no upstream configured (Latchkey:Gateway:UpstreamBaseUrl).");
            return (503, 0, 0, null);
        }

        // Bounded request: the body is read whole (it is small next to the streamed answer) so the model can be recorded.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = Options.MaxRequestBytes;
        }

        if (request.ContentLength > Options.MaxRequestBytes)
        {
            await WriteErrorAsync(context, StatusCodes.Status413PayloadTooLarge, "request_too_large", $"Requests to the gateway are limited to {Options.MaxRequestBytes} bytes.");
            return (413, 0, 0, null);
        }

        byte[] body;
        try
        {
            using var buffer = new MemoryStream();
            await request.Body.CopyToAsync(buffer, context.RequestAborted);
            body = buffer.ToArray();
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            await WriteErrorAsync(context, StatusCodes.Status413PayloadTooLarge, "request_too_large", $"Requests to the gateway are limited to {Options.MaxRequestBytes} bytes.");
            return (413, 0, 0, null);
        }

        var model = ModelOf(body, request.ContentType);
        var target = Options.UpstreamBaseUrl!.TrimEnd('/') + "/" + (request.RouteValues["path"] as string ?? string.Empty) + request.QueryString.Value;
        using var upstreamRequest = new HttpRequestMessage(new HttpMethod(request.Method), target);
        if (body.Length > 0 || !HttpMethods.IsGet(request.Method))
        {
            upstreamRequest.Content = new ByteArrayContent(body);
        }

        foreach (var (name, values) in request.Headers)
        {
            if (NotForwarded.Contains(name))
            {
                continue;
            }

            if (!upstreamRequest.Headers.TryAddWithoutValidation(name, values.ToArray()))
            {
                upstreamRequest.Content?.Headers.TryAddWithoutValidation(name, values.ToArray());
            }
        }

        if (!string.IsNullOrEmpty(Options.UpstreamApiKey))
        {
            upstreamRequest.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Options.UpstreamApiKey);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        timeout.CancelAfter(Options.RequestTimeout);
        HttpResponseMessage upstream;
        try
        {
            upstream = await httpClients.CreateClient(HttpClientName).SendAsync(upstreamRequest, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        }
        catch (OperationCanceledException) when (!context.RequestAborted.IsCancellationRequested)
        {
            LogUpstreamFailure(logger, "timeout", null);
            await WriteErrorAsync(context, StatusCodes.Status504GatewayTimeout, "upstream_timeout", "The model upstream did not answer in time.");
            return (504, body.Length, 0, model);
        }
        catch (HttpRequestException ex)
        {
            LogUpstreamFailure(logger, "unreachable", ex);
            await WriteErrorAsync(context, StatusCodes.Status502BadGateway, "upstream_unreachable", "The model gateway could not reach its upstream.");
            return (502, body.Length, 0, model);
        }

        using (upstream)
        {
            var response = context.Response;
            response.StatusCode = (int)upstream.StatusCode;
            foreach (var (name, values) in upstream.Headers.Concat(upstream.Content.Headers))
            {
                if (!NotForwarded.Contains(name))
                {
                    response.Headers[name] = values.ToArray();
                }
            }

            // Stream as it comes: each chunk is flushed, so server-sent events reach the client as the upstream sends them.
            context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
            long bytesOut = 0;
            try
            {
                await using var stream = await upstream.Content.ReadAsStreamAsync(timeout.Token);
                var chunk = new byte[16 * 1024];
                int read;
                while ((read = await stream.ReadAsync(chunk, timeout.Token)) > 0)
                {
                    await response.Body.WriteAsync(chunk.AsMemory(0, read), timeout.Token);
                    await response.Body.FlushAsync(timeout.Token);
                    bytesOut += read;
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or HttpRequestException)
            {
                // The client left, the upstream broke off, or the time bound passed: the stream simply ends here.
                LogUpstreamFailure(logger, "stream ended early", ex);
                context.Abort();
            }

            return ((int)upstream.StatusCode, body.Length, bytesOut, model);
        }
    }

    private static string? ModelOf(byte[] body, string? contentType)
    {
        if (body.Length == 0 || contentType?.Contains("json", StringComparison.OrdinalIgnoreCase) != true)
        {
            return null;
        }

        try
        {
            using var doc = JsonDocument.Parse(body);
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("model", out var m) && m.ValueKind == JsonValueKind.String
                ? m.GetString() is { Length: <= 200 } s ? s : null
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Errors in the shape OpenAI clients (Codex included) read: `{"error": {"message", "type", "code"}}`.</summary>
    private static async Task WriteErrorAsync(HttpContext context, int status, string code, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        if (status == StatusCodes.Status401Unauthorized)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer realm=\"latchkey\"";
        }

        var body = new JsonObject { ["error"] = new JsonObject { ["message"] = message, ["type"] = code, ["code"] = code } };
        await context.Response.WriteAsync(body.ToJsonString(), context.RequestAborted);
    }

    [LoggerMessage(EventId = 4001, Level = LogLevel.Warning, Message = "Model upstream problem: {What}")]
    private static partial void LogUpstreamFailure(ILogger logger, string what, Exception? exception);
}
