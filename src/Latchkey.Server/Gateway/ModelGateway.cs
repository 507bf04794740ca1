using System.Net;
using System.Text.Json.Nodes;
using Latchkey.Server.Audit;
using Latchkey.Server.Configuration;
using Latchkey.Server.OAuth;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Forwarder;

namespace Latchkey.Server.Gateway;

/// <summary>
/// /v1/… — the model gateway. Latchkey decides who is calling, what policy allows, where the request goes and what is
/// recorded; YARP's <see cref="IHttpForwarder"/> moves the bytes (streamed both ways, server-sent events flushed as
/// they come, pooled HTTP/2 or HTTP/1.1 connections to the upstream). The caller's bearer never leaves: the upstream
/// gets the operator's key for that upstream.
/// </summary>
public sealed partial class ModelGateway(
    IHttpForwarder forwarder,
    UpstreamRouter router,
    CallerLimits limits,
    GatewayMetrics metrics,
    AuditLog audit,
    TimeProvider clock,
    IOptions<LatchkeyServerOptions> options,
    ILogger<ModelGateway> logger)
{
    private GatewayOptions Options => options.Value.Gateway;

    public async Task HandleAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var started = clock.GetTimestamp();

        // The one place the gateway asks who is calling (the shared front door).
        var (caller, refused) = await context.GetCallerAsync(BearerUse.Gateway);
        if (caller is null)
        {
            await GatewayErrors.WriteAsync(context, new GatewayRefusal(refused!.Status, refused.Code, refused.Message));
            metrics.Record(null, refused.Status, refused.Code, 0, 0, clock.GetElapsedTime(started));
            return;
        }

        var exchange = new GatewayExchange();
        try
        {
            await ServeAsync(context, caller, exchange);
        }
        finally
        {
            var status = context.Response.StatusCode;
            var elapsed = clock.GetElapsedTime(started);
            metrics.Record(exchange.Upstream, status, exchange.Outcome, exchange.BytesIn, exchange.BytesOut, elapsed);
            var detail = new JsonObject
            {
                ["credential"] = caller.CredentialKind,
                ["credential_id"] = caller.CredentialId,
                ["method"] = context.Request.Method,
                ["path"] = context.Request.Path.Value,
                ["upstream"] = exchange.Upstream,
                ["model"] = exchange.Model,
                ["outcome"] = exchange.Outcome,
                ["status"] = status,
                ["bytes_in"] = exchange.BytesIn,
                ["bytes_out"] = exchange.BytesOut,
                ["duration_ms"] = (long)elapsed.TotalMilliseconds,
            };
            await audit.RecordUsageAsync(AuditEventTypes.GatewayRequest, caller.UserId, caller.WorkspaceId, caller.ClientId, context.Connection.RemoteIpAddress?.ToString(), detail, CancellationToken.None);
        }
    }

    private async Task ServeAsync(HttpContext context, Caller caller, GatewayExchange exchange)
    {
        var (lease, retryAfter, reason) = limits.TryEnter(caller.CredentialId);
        if (lease is null)
        {
            await RefuseAsync(context, exchange, new GatewayRefusal(StatusCodes.Status429TooManyRequests, "rate_limit_exceeded", reason == "concurrency"
                ? $"Too many requests in flight for this credential (at most {Options.ConcurrentRequestsPerCaller}). Retry after {retryAfter} seconds."
                : $"Too many requests for this credential (at most {Options.RequestsPerMinutePerCaller} a minute). Retry after {retryAfter} seconds.", retryAfter));
            return;
        }

        using (lease)
        {
            var raw = RequestTarget(context);
            var path = GatewayPath.Confine(raw);
            if (path is null)
            {
                LogPathRefused(logger, caller.CredentialId);
                await RefuseAsync(context, exchange, new GatewayRefusal(StatusCodes.Status400BadRequest, "invalid_path",
                    "The path must be plain segments under /v1: no encoded, dot, empty or backslash segments."));
                return;
            }

            if (!router.IsConfigured)
            {
                await RefuseAsync(context, exchange, new GatewayRefusal(StatusCodes.Status503ServiceUnavailable, "gateway_not_configured",
                    "The model gateway has no upstream configured (Latchkey:Gateway:UpstreamBaseUrl or Latchkey:Gateway:Upstreams)."));
                return;
            }

            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            {
                limit.MaxRequestBodySize = Options.MaxRequestBytes;
            }

            if (context.Request.ContentLength > Options.MaxRequestBytes)
            {
                await RefuseAsync(context, exchange, TooLarge());
                return;
            }

            PeekedRequestStream? body = null;
            try
            {
                if (context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody ?? context.Request.ContentLength > 0)
                {
                    try
                    {
                        body = await PeekedRequestStream.PeekAsync(context.Request.Body, (int)Math.Min(Options.ModelPeekBytes, Options.MaxRequestBytes), context.RequestAborted);
                    }
                    catch (BadHttpRequestException ex)
                    {
                        await RefuseAsync(context, exchange, ex.StatusCode == StatusCodes.Status413PayloadTooLarge ? TooLarge()
                            : new GatewayRefusal(StatusCodes.Status400BadRequest, "invalid_request_body", "The request body could not be read."));
                        return;
                    }
                }

                var refusal = Route(path, caller, body, out var upstream);
                exchange.Model = body?.Scanner.Model;
                exchange.Upstream = upstream?.Name;
                if (refusal is not null)
                {
                    exchange.BytesIn = body?.BytesRead ?? 0;
                    await RefuseAsync(context, exchange, refusal);
                    return;
                }

                await ForwardAsync(context, caller, upstream!, path, GatewayPath.QueryOf(raw), body, exchange);
            }
            finally
            {
                if (body is not null)
                {
                    await body.DisposeAsync();
                }
            }
        }
    }

    /// <summary>Which upstream takes the request, or why none may (RFC 9110 §15.5 status codes).</summary>
    private GatewayRefusal? Route(string path, Caller caller, PeekedRequestStream? body, out GatewayUpstream? upstream)
    {
        var scanner = body?.Scanner;
        upstream = null;
        if (scanner?.State == JsonModelScannerState.Ambiguous)
        {
            return new GatewayRefusal(StatusCodes.Status400BadRequest, "invalid_request_body", "The JSON body must name its model once, as a string at the top level.");
        }

        var model = scanner?.Model;
        var known = scanner is null || body!.BytesRead == 0 || model is not null
            || (scanner.State == JsonModelScannerState.Scanning && !scanner.SawModelKey && (scanner.Complete || body.EndedInPrefix));

        // A workspace's model list is checked first: for it an unreadable model is simply not an allowed one.
        if (router.WorkspaceAllows(caller.WorkspaceId, model) == false && !(known && model is null))
        {
            return new GatewayRefusal(StatusCodes.Status403Forbidden, "model_not_allowed", model is null
                ? "This workspace may use only the models its administrator allows, and the gateway could not read this request's model."
                : $"This workspace may not use the model '{model}'. Ask your workspace administrator which models are allowed.");
        }

        var owner = router.PathOwner(path);
        if (!known && owner is null && router.RoutesByModel)
        {
            return new GatewayRefusal(StatusCodes.Status400BadRequest, "model_unreadable",
                $"The gateway routes by model: send a JSON body whose top-level \"model\" appears within its first {Options.ModelPeekBytes} bytes.");
        }

        upstream = router.Choose(path, model);
        return upstream is null
            ? new GatewayRefusal(StatusCodes.Status404NotFound, "model_not_found", model is null ? "No upstream serves this path." : $"No upstream serves the model '{model}'.")
            : null;
    }

    private async Task ForwardAsync(HttpContext context, Caller caller, GatewayUpstream upstream, string path, string query, PeekedRequestStream? body, GatewayExchange exchange)
    {
        if (body is not null)
        {
            context.Request.Body = body;
        }

        var response = new CountingResponseStream(context.Response.Body);
        context.Response.Body = response;
        var config = new ForwarderRequestConfig
        {
            ActivityTimeout = Options.RequestTimeout,
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
            AllowResponseBuffering = false,
        };
        metrics.Started();
        ForwarderError error;
        try
        {
            error = await forwarder.SendAsync(context, upstream.BaseUrl, upstream.Invoker, config, new UpstreamRequestTransformer(upstream, path, query, caller.WorkspaceId));
        }
        finally
        {
            metrics.Ended();
            exchange.BytesIn = body?.BytesRead ?? 0;
            exchange.BytesOut = response.BytesWritten;
        }

        if (error == ForwarderError.None)
        {
            return;
        }

        var exception = context.GetForwarderErrorFeature()?.Exception;
        LogUpstreamFailure(logger, upstream.Name, error.ToString(), exception);
        var refusal = error switch
        {
            ForwarderError.RequestTimedOut => new GatewayRefusal(StatusCodes.Status504GatewayTimeout, "upstream_timeout", "The model upstream did not answer in time."),
            ForwarderError.RequestBodyClient when Find<BadHttpRequestException>(exception) is { StatusCode: StatusCodes.Status413PayloadTooLarge } => TooLarge(),
            ForwarderError.RequestBodyClient when Find<InvalidDataException>(exception) is not null => new GatewayRefusal(StatusCodes.Status400BadRequest, "invalid_request_body", "The JSON body must name its model once, as a string at the top level."),
            ForwarderError.RequestBodyClient or ForwarderError.RequestCanceled or ForwarderError.RequestBodyCanceled => new GatewayRefusal(StatusCodes.Status400BadRequest, "client_aborted", "The request body ended early."),
            _ => new GatewayRefusal(StatusCodes.Status502BadGateway, "upstream_unreachable", "The model gateway could not reach its upstream."),
        };
        exchange.Outcome = refusal.Code;
        if (context.Response.HasStarted)
        {
            // Mid-stream: the status is sent; the connection is cut so the client sees the answer is incomplete.
            context.Abort();
            return;
        }

        await GatewayErrors.WriteAsync(context, refusal);
    }

    /// <summary>
    /// The target as the caller sent it. The absolute form (`GET http://host/v1/… HTTP/1.1`, RFC 9112 §3.2.2) is cut
    /// to its path; a host without a raw target (the in-memory test server) gives its path still encoded.
    /// </summary>
    public static string RequestTarget(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (string.IsNullOrEmpty(raw))
        {
            return context.Request.PathBase.ToUriComponent() + context.Request.Path.ToUriComponent() + context.Request.QueryString.ToUriComponent();
        }

        var scheme = raw.IndexOf("://", StringComparison.Ordinal);
        if (raw[0] != '/' && scheme > 0)
        {
            var path = raw.IndexOf('/', scheme + 3);
            return path < 0 ? "/" : raw[path..];
        }

        return raw;
    }

    private GatewayRefusal TooLarge() =>
        new(StatusCodes.Status413PayloadTooLarge, "request_too_large", $"Requests to the gateway are limited to {Options.MaxRequestBytes} bytes.");

    private static T? Find<T>(Exception? exception)
        where T : Exception
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is T found)
            {
                return found;
            }
        }

        return null;
    }

    private static async Task RefuseAsync(HttpContext context, GatewayExchange exchange, GatewayRefusal refusal)
    {
        exchange.Outcome = refusal.Code;
        await GatewayErrors.WriteAsync(context, refusal);
    }

    [LoggerMessage(EventId = 4001, Level = LogLevel.Warning, Message = "Model upstream {Upstream} problem: {What}")]
    private static partial void LogUpstreamFailure(ILogger logger, string upstream, string what, Exception? exception);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Warning, Message = "Gateway refused a path that could leave its upstream's base (credential {CredentialId})")]
    private static partial void LogPathRefused(ILogger logger, string credentialId);
}
