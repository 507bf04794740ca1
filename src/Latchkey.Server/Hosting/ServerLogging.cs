using Microsoft.Extensions.Configuration.Json;
using Microsoft.Extensions.FileProviders;

namespace Latchkey.Server.Hosting;

public static class ServerLogging
{
    /// <summary>
    /// The builder's options: the settings files are read once, never watched (a change takes a restart, as for every
    /// other setting). ASP.NET Core's default builds the appsettings sources with reload-on-change before
    /// <see cref="UseApplicationFolderSettings"/> replaces them, and the watch those first sources start outlives them:
    /// a recursive inotify watch of the content root — the working directory — with one watch per directory under it at
    /// start-up (a large working directory runs into the per-user inotify limits) and a thread woken by every write
    /// below it, every SQLite commit included when the data directory is the default ./data.
    /// </summary>
    /// <remarks>First, so that an option left without its value at the end of the command line cannot take it as one.</remarks>
    public static WebApplicationOptions BuilderOptions(string[] args) => new() { Args = ["--hostBuilder:reloadConfigOnChange=false", .. args] };

    /// <summary>
    /// appsettings.json is read from the application's own folder, not the working directory: the file that quiets
    /// request logging must apply wherever the server is started from.
    /// </summary>
    public static void UseApplicationFolderSettings(this ConfigurationManager configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        IList<IConfigurationSource> sources = configuration.Sources;
        for (var i = 0; i < sources.Count; i++)
        {
            if (sources[i] is JsonConfigurationSource { Path: { } path } json && path.StartsWith("appsettings", StringComparison.OrdinalIgnoreCase))
            {
                sources[i] = new JsonConfigurationSource
                {
                    Path = path,
                    Optional = json.Optional,
                    ReloadOnChange = false,
                    FileProvider = new PhysicalFileProvider(AppContext.BaseDirectory),
                };
            }
        }
    }

    /// <summary>
    /// JSON console output on request (`Latchkey:Logging:Format=json`), and the redaction layer in front of every log
    /// provider registered so far. Call after the providers are added.
    /// </summary>
    public static WebApplicationBuilder AddLatchkeyLogging(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (string.Equals(builder.Configuration["Latchkey:Logging:Format"], "json", StringComparison.OrdinalIgnoreCase))
        {
            builder.Logging.AddJsonConsole(o => o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ");
        }

        var services = builder.Services;
        for (var i = 0; i < services.Count; i++)
        {
            var descriptor = services[i];
            if (descriptor.ServiceType == typeof(ILoggerProvider) && !descriptor.IsKeyedService)
            {
                services[i] = ServiceDescriptor.Singleton<ILoggerProvider>(sp => new RedactingLoggerProvider(Create(sp, descriptor)));
            }
        }

        return builder;
    }

    private static ILoggerProvider Create(IServiceProvider services, ServiceDescriptor descriptor)
        => (ILoggerProvider)(descriptor.ImplementationInstance
            ?? descriptor.ImplementationFactory?.Invoke(services)
            ?? ActivatorUtilities.CreateInstance(services, descriptor.ImplementationType!));
}
