using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace Latchkey.Client;

/// <summary>Registers Latchkey with dependency injection: one <see cref="LatchkeyClient"/>, composed as the CLI composes itself.</summary>
public static partial class LatchkeyServiceCollectionExtensions
{
    private const string ServerHttpClientName = "Latchkey.Client.Server";

    /// <summary>
    /// Registers <see cref="LatchkeyClient"/> (also as <see cref="ILatchkeyTokenSource"/>), <see cref="LatchkeyAuthHandler"/>,
    /// and a named HttpClient <paramref name="httpClientName"/> whose requests carry the Latchkey bearer. The client
    /// reads config.toml, the managed config and the credential store the CLI uses; config warnings are logged.
    /// </summary>
    public static IHttpClientBuilder AddLatchkeyClient(this IServiceCollection services, Action<LatchkeyClientOptions>? configure = null, string httpClientName = "latchkey")
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddHttpClient(ServerHttpClientName, http => http.Timeout = ClientComposition.RequestTimeout);
        services.TryAddSingleton(sp =>
        {
            var options = new LatchkeyClientOptions();
            configure?.Invoke(options);
            if (options.OnWarning is null && sp.GetService<ILoggerFactory>()?.CreateLogger("Latchkey.Client") is { } logger)
            {
                options.OnWarning = warning => LogWarning(logger, warning);
            }

            return ClientComposition.Compose(options, sp.GetRequiredService<IHttpClientFactory>().CreateClient(ServerHttpClientName), sp.GetRequiredService<TimeProvider>());
        });
        services.TryAddSingleton<ILatchkeyTokenSource>(sp => sp.GetRequiredService<LatchkeyClient>());
        services.TryAddTransient<LatchkeyAuthHandler>();
        return services.AddHttpClient(httpClientName).AddLatchkeyAuthentication();
    }

    /// <summary>Adds the Latchkey bearer to a typed or named client: <c>services.AddHttpClient&lt;MyApi&gt;().AddLatchkeyAuthentication()</c>.</summary>
    public static IHttpClientBuilder AddLatchkeyAuthentication(this IHttpClientBuilder builder) => builder.AddHttpMessageHandler<LatchkeyAuthHandler>();

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "{Warning}")]
    private static partial void LogWarning(ILogger logger, string warning);
}
