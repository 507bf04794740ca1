using System.Net;
using System.Text;

namespace Latchkey.Cli.Tests;

/// <summary>A loopback HTTP server standing in for the access-token whoami endpoint or the gateway's API-key check: one answer to every request.</summary>
public sealed class FakeWhoAmIServer : IDisposable
{
    private readonly HttpListener listener = new();
    private readonly Task loop;

    public FakeWhoAmIServer(int status, string body)
    {
        var port = FreePort();
        Url = $"http://127.0.0.1:{port}";
        listener.Prefixes.Add(Url + "/");
        listener.Start();
        loop = Task.Run(async () =>
        {
            while (listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await listener.GetContextAsync();
                }
                catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException)
                {
                    return;
                }

                LastPath = context.Request.Url!.AbsolutePath;
                LastAuthorization = context.Request.Headers["Authorization"];
                try
                {
                    context.Response.StatusCode = status;
                    var bytes = Encoding.UTF8.GetBytes(body);
                    context.Response.ContentType = "application/json";
                    await context.Response.OutputStream.WriteAsync(bytes);
                    context.Response.Close();
                }
                catch (Exception ex) when (ex is HttpListenerException or IOException or ObjectDisposedException)
                {
                    // The client went away mid-answer: tests kill the CLI on purpose (CliRobustnessTests). Serve the next.
                }
            }
        });
    }

    public string Url { get; }

    public string? LastPath { get; private set; }

    public string? LastAuthorization { get; private set; }

    private static int FreePort()
    {
        using var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        listener.Stop();
        listener.Close();
        loop.Wait(TimeSpan.FromSeconds(5));
    }
}
