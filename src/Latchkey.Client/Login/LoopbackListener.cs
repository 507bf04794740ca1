using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Latchkey.Client.Login;

/// <summary>
/// The loopback redirect target of the browser sign-in (RFC 8252 §7.3). Binds 127.0.0.1:1455; when that is busy it
/// asks a stale Latchkey listener there to stop (at <see cref="CancelPath"/>, a path only Latchkey serves: the Codex CLI
/// listens on the same port with its own `/cancel`, and a waiting `codex login` must not be cancelled), retries briefly, then takes any free port — the listening socket
/// is bound once and kept, so there is no probe-release-rebind race. Speaks just enough HTTP/1.1 for a browser.
/// </summary>
internal sealed class LoopbackListener : IDisposable
{
    public const int PreferredPort = 1455;

    /// <summary>Where a waiting Latchkey sign-in accepts "a newer `latchkey login` takes over".</summary>
    public const string CancelPath = "/latchkey/cancel";
    private const int MaxRequestBytes = 16 * 1024;
    private readonly TcpListener listener;

    private LoopbackListener(TcpListener listener)
    {
        this.listener = listener;
        Port = ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public int Port { get; }

    public string RedirectUri => $"http://127.0.0.1:{Port}/auth/callback";

    public static async Task<LoopbackListener> BindAsync(int preferredPort, HttpClient http, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(http);
        if (TryBind(preferredPort) is { } first)
        {
            return first;
        }

        // Probably an earlier `latchkey login` left waiting: ask it to stop, then try again for a moment.
        try
        {
            using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(3));
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancel.Token, cancellationToken);
            using var _ = await http.GetAsync(new Uri($"http://127.0.0.1:{preferredPort}{CancelPath}"), linked.Token);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
        }

        for (var i = 0; i < 10; i++)
        {
            await Task.Delay(100, cancellationToken);
            if (TryBind(preferredPort) is { } retried)
            {
                return retried;
            }
        }

        return TryBind(0) ?? throw new LatchkeyException(ErrorCodes.LoginFailed, "Could not listen on a loopback port for the sign-in callback.");
    }

    private static LoopbackListener? TryBind(int port)
    {
        var listener = new TcpListener(IPAddress.Loopback, port);
        try
        {
            // On Windows, SO_REUSEADDR would let another process take over the port: ask for exclusivity. On Unix
            // it only allows re-binding past TIME_WAIT (needed after cancelling a stale login) and .NET's default is right.
            if (OperatingSystem.IsWindows())
            {
                listener.Server.ExclusiveAddressUse = true;
            }

            listener.Start();
            return new LoopbackListener(listener);
        }
        catch (SocketException)
        {
            listener.Dispose();
            return null;
        }
    }

    /// <summary>
    /// Serves requests until <paramref name="handle"/> returns a result or a failure. The browser always gets the
    /// handler's page first, so a failed sign-in shows why instead of a dropped connection.
    /// </summary>
    public async Task<T> ServeAsync<T>(Func<LoopbackRequest, CancellationToken, Task<LoopbackOutcome<T>>> handle, CancellationToken cancellationToken)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(handle);
        while (true)
        {
            using var client = await listener.AcceptTcpClientAsync(cancellationToken);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            var stream = client.GetStream();
            LoopbackRequest? request;
            try
            {
                request = await ReadRequestAsync(stream, timeout.Token);
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                continue;
            }

            if (request is null)
            {
                await WriteAsync(stream, new LoopbackResponse(400, "Bad request."), cancellationToken);
                continue;
            }

            var outcome = await handle(request, cancellationToken);
            await WriteAsync(stream, outcome.Response, cancellationToken);
            if (outcome.Failure is not null)
            {
                throw outcome.Failure;
            }

            if (outcome.Result is not null)
            {
                return outcome.Result;
            }
        }
    }

    private static async Task<LoopbackRequest?> ReadRequestAsync(NetworkStream stream, CancellationToken cancellationToken)
    {
        var buffer = new byte[MaxRequestBytes];
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(read), cancellationToken);
            if (n == 0)
            {
                break;
            }

            read += n;
            if (buffer.AsSpan(0, read).IndexOf("\r\n\r\n"u8) >= 0)
            {
                break;
            }
        }

        var head = Encoding.ASCII.GetString(buffer, 0, read);
        var firstLine = head.Split("\r\n", 2)[0].Split(' ');
        if (firstLine.Length != 3 || firstLine[0] != "GET" || !firstLine[1].StartsWith('/'))
        {
            return null;
        }

        var target = new Uri("http://127.0.0.1" + firstLine[1]);
        return new LoopbackRequest(target.AbsolutePath, ParseQuery(target.Query));
    }

    private static Dictionary<string, string> ParseQuery(string query)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = pair.Split('=', 2);
            var key = Uri.UnescapeDataString(parts[0].Replace('+', ' '));
            var value = parts.Length > 1 ? Uri.UnescapeDataString(parts[1].Replace('+', ' ')) : string.Empty;
            values.TryAdd(key, value);
        }

        return values;
    }

    private static async Task WriteAsync(NetworkStream stream, LoopbackResponse response, CancellationToken cancellationToken)
    {
        var html = $"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Latchkey</title></head><body style=\"font-family:system-ui;max-width:32rem;margin:4rem auto\"><h1>{WebUtility.HtmlEncode(response.Title)}</h1><p>{WebUtility.HtmlEncode(response.Message)}</p></body></html>";
        var body = Encoding.UTF8.GetBytes(html);
        var reason = response.Status switch { 200 => "OK", 400 => "Bad Request", 404 => "Not Found", _ => "Error" };
        var head = $"HTTP/1.1 {response.Status} {reason}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {body.Length}\r\nCache-Control: no-store\r\nReferrer-Policy: no-referrer\r\nConnection: close\r\n\r\n";
        try
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes(head), cancellationToken);
            await stream.WriteAsync(body, cancellationToken);
        }
        catch (IOException)
        {
            // The browser went away; the sign-in result stands.
        }
    }

    public void Dispose() => listener.Dispose();
}
