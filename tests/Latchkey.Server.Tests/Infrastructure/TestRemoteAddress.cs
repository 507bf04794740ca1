using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace Latchkey.Server.Tests.Infrastructure;

/// <summary>
/// The in-process test server has no socket, so no remote address. A test names the address a request comes from
/// with <see cref="Header"/> (127.0.0.2 standing for another machine); without it the request comes from 127.0.0.1.
/// </summary>
public sealed class TestRemoteAddress : IStartupFilter
{
    public const string Header = "X-Test-Remote-Address";

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use(async (context, nextMiddleware) =>
        {
            context.Connection.RemoteIpAddress = IPAddress.Parse(context.Request.Headers[Header].FirstOrDefault() ?? "127.0.0.1");
            await nextMiddleware(context);
        });
        next(app);
    };
}
