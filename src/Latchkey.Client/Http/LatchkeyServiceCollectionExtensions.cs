using Latchkey.Client.Credentials;
using Latchkey.Client.Http;
using Latchkey.Client.OAuth;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Latchkey.Client;

public static class LatchkeyServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="AuthManager"/> (sharing the CLI's login in <see cref="LatchkeyClientOptions.Home"/>) and a
    /// named HttpClient <paramref name="httpClientName"/> whose requests carry the Latchkey bearer.
    /// </summary>
    public static IHttpClientBuilder AddLatchkeyClient(this IServiceCollection services, Action<LatchkeyClientOptions>? configure = null, string httpClientName = "latchkey")
    {
        var options = new LatchkeyClientOptions();
        configure?.Invoke(options);
        services.TryAddSingleton(TimeProvider.System);
        services.AddHttpClient<OAuthClient>();
        services.TryAddSingleton(options);
        services.TryAddSingleton<AuthManager>(sp => new AuthManager(
            options.Store ?? new FileCredentialStore(options.Home),
            new OAuthClient(sp.GetRequiredService<IHttpClientFactory>().CreateClient(nameof(OAuthClient))),
            options,
            sp.GetRequiredService<TimeProvider>()));
        services.AddTransient<LatchkeyAuthHandler>();
        return services.AddHttpClient(httpClientName).AddHttpMessageHandler<LatchkeyAuthHandler>();
    }
}
