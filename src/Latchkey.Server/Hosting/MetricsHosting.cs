using Latchkey.Server.Configuration;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace Latchkey.Server.Hosting;

/// <summary>
/// OpenTelemetry metrics (every `Latchkey.*` meter, ASP.NET Core and HttpClient instrumentation) exported for
/// Prometheus on a listener of its own: `/metrics` answers only on <see cref="MetricsOptions.Port"/>, whatever the
/// Host header says, and that listener serves nothing else.
/// </summary>
public static class MetricsHosting
{
    public const string ScrapePath = "/metrics";

    public static WebApplicationBuilder AddLatchkeyMetrics(this WebApplicationBuilder builder, MetricsOptions metrics)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(metrics);
        builder.Services.AddSingleton<IValidateOptions<LatchkeyServerOptions>, MetricsOptionsValidator>();
        if (metrics.Port is not { } port)
        {
            return builder;
        }

        builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("latchkey-server"))
            .WithMetrics(m => m
                .AddMeter("Latchkey.*")
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddPrometheusExporter());

        // Added to the listening URLs rather than through Kestrel's Listen(), which would silently replace them.
        var host = metrics.ListenAddress.Contains(':', StringComparison.Ordinal) ? $"[{metrics.ListenAddress}]" : metrics.ListenAddress;
        var metricsUrl = $"http://{host}:{port}";
        var urls = builder.WebHost.GetSetting(WebHostDefaults.ServerUrlsKey);
        builder.WebHost.UseSetting(WebHostDefaults.ServerUrlsKey, string.IsNullOrEmpty(urls) ? metricsUrl : $"{urls};{metricsUrl}");
        return builder;
    }

    public static WebApplication UseLatchkeyMetrics(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (app.Services.GetRequiredService<IOptions<LatchkeyServerOptions>>().Value.Metrics.Port is not { } port)
        {
            return app;
        }

        // The local port, not the Host header, decides: a request to the public listener cannot reach the scrape.
        app.UseOpenTelemetryPrometheusScrapingEndpoint(c => c.Connection.LocalPort == port && c.Request.Path == ScrapePath);
        app.Use((context, next) =>
        {
            if (context.Connection.LocalPort != port)
            {
                return next(context);
            }

            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        });
        return app;
    }
}
