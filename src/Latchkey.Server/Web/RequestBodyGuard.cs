using System.Buffers;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;

namespace Latchkey.Server.Web;

/// <summary>
/// The one place where request bodies are bounded and checked before any endpoint, page or form binder decodes them.
/// <list type="bullet">
/// <item>Only UTF-8 is read (RFC 8259 §8.1 for JSON, the WHATWG URL standard for forms): a body declared in any other
/// charset (utf-7, utf-32, an unknown name) is a 415, never an exception inside a decoder.</item>
/// <item>Each endpoint's <see cref="RequestBodyLimit"/> (1 MiB unless it says less) is enforced here. An over-limit body
/// is read and discarded up to <see cref="DrainBytes"/> before the 413 is sent with `Connection: close`: a server that
/// answers and closes while the client is still uploading makes the client's TCP stack see a reset, and an ordinary
/// client (Python urllib, .NET HttpClient) then reports "connection reset" instead of the 413.</item>
/// <item>A <see cref="BadHttpRequestException"/> (the client's malformed or truncated body, as detected by Kestrel or by
/// a form reader) becomes its own 4xx in the endpoint's error shape with a one-line log, not a 500 with a stack trace.</item>
/// </list>
/// </summary>
public sealed partial class RequestBodyGuard(RequestDelegate next, ILogger<RequestBodyGuard> logger)
{
    /// <summary>The most an over-limit body is read (and thrown away) so its sender can read the 413.</summary>
    public const long DrainBytes = 4 * 1024 * 1024;

    private static readonly TimeSpan DrainTime = TimeSpan.FromSeconds(10);

    public async Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var endpoint = context.GetEndpoint();
        var request = context.Request;
        if (endpoint?.Metadata.GetMetadata<OpaqueRequestBody>() is not null || !HasBody(context))
        {
            await next(context);
            return;
        }

        if (UnreadableCharset(request.ContentType) is { } charset)
        {
            LogRefused(logger, request.Method, request.Path, StatusCodes.Status415UnsupportedMediaType, charset);
            await RefuseAsync(context, StatusCodes.Status415UnsupportedMediaType, "unsupported_media_type", "Send the body encoded as UTF-8.", drain: true);
            return;
        }

        var limit = endpoint?.Metadata.GetMetadata<RequestBodyLimit>()?.Bytes ?? RequestBodyLimit.Default.Bytes;
        // Kestrel's own limit is raised to the drain bound: below it, this guard answers; above it, Kestrel cuts the upload.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            sizeFeature.MaxRequestBodySize = DrainBytes;
        }

        if (request.ContentLength > limit)
        {
            LogTooLarge(logger, request.Method, request.Path, request.ContentLength.Value, limit);
            await RefuseTooLargeAsync(context, limit);
            return;
        }

        if (request.ContentLength is null)
        {
            request.Body = new LimitedReadStream(request.Body, limit);
        }

        try
        {
            await next(context);
        }
        catch (BadHttpRequestException ex) when (!context.Response.HasStarted)
        {
            LogRefused(logger, request.Method, request.Path, ex.StatusCode, ex.Message);
            if (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
            {
                await RefuseTooLargeAsync(context, limit);
            }
            else
            {
                await RefuseAsync(context, ex.StatusCode, "bad_request", "The request could not be read: " + ex.Message, drain: false);
            }
        }
    }

    private static bool HasBody(HttpContext context)
        => context.Request.ContentLength > 0
           || (context.Request.ContentLength is null && context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody == true);

    /// <summary>The charset a body declares when it is one this server does not read, else null.</summary>
    private static string? UnreadableCharset(string? contentType)
    {
        if (contentType is null || !MediaTypeHeaderValue.TryParse(contentType, out var mediaType))
        {
            return null;
        }

        var charset = mediaType.Charset.Value?.Trim('"');
        return charset is null || charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) || charset.Equals("us-ascii", StringComparison.OrdinalIgnoreCase)
            ? null
            : charset.Length <= 40 ? charset : charset[..40];
    }

    private static Task RefuseTooLargeAsync(HttpContext context, long limit)
        => RefuseAsync(context, StatusCodes.Status413PayloadTooLarge, "payload_too_large", $"The request body is too large (at most {limit} bytes here).", drain: true);

    private static async Task RefuseAsync(HttpContext context, int status, string code, string message, bool drain)
    {
        var request = context.Request;
        var expectsContinue = request.Headers.Expect.ToString().Contains("100-continue", StringComparison.OrdinalIgnoreCase);
        if (drain && !expectsContinue && !(request.ContentLength > DrainBytes))
        {
            await DrainAsync(request.Body is LimitedReadStream limited ? limited.Inner : request.Body, context.RequestAborted);
        }

        await ClientErrors.WriteAsync(context, status, code, message, closeConnection: true);
    }

    private static async Task DrainAsync(Stream body, CancellationToken aborted)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        deadline.CancelAfter(DrainTime);
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            long total = 0;
            int n;
            while (total <= DrainBytes && (n = await body.ReadAsync(buffer, deadline.Token)) > 0)
            {
                total += n;
            }
        }
        catch (Exception ex) when (ex is BadHttpRequestException or IOException or OperationCanceledException)
        {
            // The client stopped, was too slow, or sent more than the drain bound: answer anyway; it may not read it.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "Refused {Method} {Path} with 413: {Length} bytes declared, limit {Limit}")]
    private static partial void LogTooLarge(ILogger logger, string method, PathString path, long length, long limit);

    [LoggerMessage(EventId = 4000, Level = LogLevel.Information, Message = "Refused {Method} {Path} with {Status}: {Reason}")]
    private static partial void LogRefused(ILogger logger, string method, PathString path, int status, string reason);
}
