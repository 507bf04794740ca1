using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;

namespace Latchkey.EndToEnd.Tests;

/// <summary>
/// `codex app-server` driven over its JSON-RPC-on-stdio protocol (one JSON object per line), as an IDE or the TUI
/// drives it. Requests get ids; notifications are kept so a test can wait for one by method.
/// </summary>
public sealed class CodexAppServer : IAsyncDisposable
{
    private readonly Process process;
    private readonly StringBuilder stderr = new();
    private readonly List<JsonObject> received = [];
    private readonly SemaphoreSlim arrived = new(0);
    private int nextId;

    private CodexAppServer(Process process) => this.process = process;

    public string Stderr
    {
        get
        {
            lock (stderr)
            {
                return stderr.ToString();
            }
        }
    }

    public string Transcript
    {
        get
        {
            lock (received)
            {
                return string.Join('\n', received.Select(m => m.ToJsonString()));
            }
        }
    }

    public static async Task<CodexAppServer> StartAsync(string codexHome, OutsideConnectionTrap trap, IDictionary<string, string> environment, params string[] config)
    {
        var start = CliProcess.CodexStartInfo(codexHome, trap, environment, ["app-server", .. config]);
        var server = new CodexAppServer(new Process { StartInfo = start });
        server.process.OutputDataReceived += (_, e) => server.OnLine(e.Data);
        server.process.ErrorDataReceived += (_, e) =>
        {
            lock (server.stderr)
            {
                server.stderr.AppendLine(e.Data);
            }
        };
        server.process.Start();
        server.process.BeginOutputReadLine();
        server.process.BeginErrorReadLine();
        await server.RequestAsync("initialize", new JsonObject { ["clientInfo"] = new JsonObject { ["name"] = "latchkey_e2e", ["version"] = "1.0.0" } });
        await server.NotifyAsync("initialized");
        return server;
    }

    /// <summary>Sends a request and returns its `result` (a JSON-RPC error fails the test with the transcript).</summary>
    public async Task<JsonObject> RequestAsync(string method, JsonObject parameters)
    {
        var id = Interlocked.Increment(ref nextId);
        await WriteAsync(new JsonObject { ["jsonrpc"] = "2.0", ["id"] = id, ["method"] = method, ["params"] = parameters });
        var reply = await WaitForAsync(m => m["id"] is JsonValue v && v.TryGetValue<int>(out var got) && got == id && m["method"] is null);
        Assert.True(reply["error"] is null, $"{method}: {reply.ToJsonString()}\n{Stderr}");
        return reply["result"]!.AsObject();
    }

    public Task NotifyAsync(string method) => WriteAsync(new JsonObject { ["jsonrpc"] = "2.0", ["method"] = method });

    /// <summary>The `params` of the first notification with this method (already received or still to come).</summary>
    public async Task<JsonObject> WaitForNotificationAsync(string method, TimeSpan timeout)
        => (await WaitForAsync(m => (string?)m["method"] == method && m["id"] is null, timeout))["params"]!.AsObject();

    private async Task<JsonObject> WaitForAsync(Func<JsonObject, bool> match, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (true)
        {
            lock (received)
            {
                var found = received.FirstOrDefault(match);
                if (found is not null)
                {
                    return found;
                }
            }

            var left = deadline - DateTime.UtcNow;
            Assert.True(left > TimeSpan.Zero && !process.HasExited, $"No matching app-server message. Transcript:\n{Transcript}\nstderr:\n{Stderr}");
            await arrived.WaitAsync(left < TimeSpan.FromSeconds(1) ? left : TimeSpan.FromSeconds(1));
        }
    }

    private async Task WriteAsync(JsonObject message)
    {
        await process.StandardInput.WriteLineAsync(message.ToJsonString());
        await process.StandardInput.FlushAsync();
    }

    private void OnLine(string? line)
    {
        if (string.IsNullOrWhiteSpace(line))
        {
            return;
        }

        try
        {
            if (JsonNode.Parse(line) is JsonObject message)
            {
                lock (received)
                {
                    received.Add(message);
                }

                arrived.Release();
            }
        }
        catch (System.Text.Json.JsonException)
        {
            // Not protocol output; stderr carries codex's logs.
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.StandardInput.Close();
            if (!process.WaitForExit(5000))
            {
                process.Kill(entireProcessTree: true);
            }
        }

        await process.WaitForExitAsync();
        process.Dispose();
        arrived.Dispose();
    }
}
