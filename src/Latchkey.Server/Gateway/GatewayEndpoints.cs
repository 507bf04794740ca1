using Latchkey.Server.Web;

namespace Latchkey.Server.Gateway;

/// <summary>The gateway's AddX/MapX pair.</summary>
public static class GatewayEndpoints
{
    public static IServiceCollection AddLatchkeyGateway(this IServiceCollection services)
    {
        services.AddHttpForwarder();
        services.AddMetrics();
        services.AddSingleton<UpstreamRouter>();
        services.AddSingleton<CallerLimits>();
        services.AddSingleton<GatewayMetrics>();
        services.AddSingleton<ModelGateway>();
        return services;
    }

    public static WebApplication MapLatchkeyGateway(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);

        // The server removes dot segments before routing, so `/v1/../admin` never reaches the /v1 route. Such a
        // target was still aimed at the gateway: it gets the gateway's 400, not whatever the normalised path names.
        app.Use(async (context, next) =>
        {
            var raw = ModelGateway.RequestTarget(context);
            if (raw.StartsWith(GatewayPath.Prefix, StringComparison.OrdinalIgnoreCase) && !context.Request.Path.StartsWithSegments(GatewayPath.Prefix))
            {
                await context.RequestServices.GetRequiredService<ModelGateway>().HandleAsync(context);
                return;
            }

            await next(context);
        });
        app.Map(GatewayPath.Prefix + "/{**path}", (HttpContext c, ModelGateway gateway) => gateway.HandleAsync(c)).DisableAntiforgery().WithMetadata(OpaqueRequestBody.Instance);
        return app;
    }
}
