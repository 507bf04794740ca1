using System.Net;
using System.Threading.RateLimiting;
using Dapper;
using Latchkey.Server.Accounts;
using Latchkey.Server.Api;
using Latchkey.Server.Audit;
using Latchkey.Server.Configuration;
using Latchkey.Server.Keys;
using Latchkey.Server.OAuth;
using Latchkey.Server.Gateway;
using Latchkey.Server.Storage;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Web;
using Latchkey.Server.Workspaces;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Hosting;

public static class ServerServiceCollectionExtensions
{

    public static WebApplicationBuilder AddLatchkeyServer(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddOptions<LatchkeyServerOptions>().Bind(builder.Configuration.GetSection(LatchkeyServerOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<LatchkeyServerOptions>, LatchkeyServerOptionsValidator>();
        services.AddSingleton(TimeProvider.System);

        services.AddLatchkeyStorage();
        services.AddLatchkeyKeys();
        services.AddLatchkeyAccounts();
        services.AddLatchkeyOAuth();
        services.AddLatchkeyWeb(builder.Configuration);
        services.AddLatchkeyGateway();
        services.AddHealthChecks().AddCheck<ReadinessCheck>("database", tags: ["ready"]);
        builder.AddLatchkeyLogging();
        services.AddLatchkeyOpenApi();

        var options = Peek(builder.Configuration);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = 1024 * 1024;
            k.Limits.MaxRequestHeadersTotalSize = 32 * 1024;
        });
        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]))
        {
            builder.WebHost.UseUrls($"http://{(options.ListenAddress.Contains(':', StringComparison.Ordinal) ? $"[{options.ListenAddress}]" : options.ListenAddress)}:{options.Port}");
        }

        builder.AddLatchkeyMetrics(options.Metrics);

        return builder;
    }

    /// <summary>
    /// The settings needed while services are registered. A value that does not convert is not reported here but by
    /// <see cref="ServerCommandLine"/> (every problem at once) or by options validation at start.
    /// </summary>
    private static LatchkeyServerOptions Peek(ConfigurationManager configuration)
    {
        try
        {
            return configuration.GetSection(LatchkeyServerOptions.Section).Get<LatchkeyServerOptions>() ?? new LatchkeyServerOptions();
        }
        catch (InvalidOperationException)
        {
            return new LatchkeyServerOptions();
        }
    }

    private static void AddLatchkeyStorage(this IServiceCollection services)
    {
        DefaultTypeMap.MatchNamesWithUnderscores = true;
        services.AddSingleton<IDbConnectionFactory>(sp =>
        {
            var o = sp.GetRequiredService<IOptions<LatchkeyServerOptions>>().Value;
            if (string.Equals(o.Database.Provider, "postgres", StringComparison.OrdinalIgnoreCase))
            {
                return new PostgresConnectionFactory(o.Database.ConnectionString!);
            }

            var connectionString = o.Database.ConnectionString;
            if (string.IsNullOrWhiteSpace(connectionString))
            {
                OwnerOnlyFiles.EnsureDirectory(o.DataDirectory);
                connectionString = $"Data Source={Path.Combine(o.DataDirectory, "latchkey.db")}";
            }

            return new SqliteConnectionFactory(connectionString);
        });
        services.AddSingleton<SchemaMigrator>();
        services.AddSingleton<UserRepository>();
        services.AddSingleton<WorkspaceRepository>();
        services.AddSingleton<AccountSecurityRepository>();
        services.AddSingleton<GrantRepository>();
        services.AddSingleton<AuthorizationCodeRepository>();
        services.AddSingleton<DeviceCodeRepository>();
        services.AddSingleton<KeyRepository>();
        services.AddSingleton<AuditRepository>();
        services.AddSingleton<AccessTokenRepository>();
        services.AddSingleton<ApiKeyRepository>();
        services.AddSingleton<CallerRepository>();
        services.AddSingleton<MaintenanceRepository>();
        services.AddSingleton<WebSessionRepository>();
        services.AddSingleton<PasskeyRepository>();
        services.AddSingleton<ExpiredDataCleanup>();
        services.AddHostedService(sp => sp.GetRequiredService<ExpiredDataCleanup>());
    }

    private static void AddLatchkeyKeys(this IServiceCollection services)
    {
        services.AddDataProtection().SetApplicationName("Latchkey");
        services.AddSingleton<KeyProtectionKeyProvider>();
        services.AddSingleton<KeyRingProtection>();
        services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(sp => new ConfigureOptions<KeyManagementOptions>(o =>
        {
            o.XmlRepository = new DatabaseXmlRepository(sp.GetRequiredService<KeyRepository>(), sp.GetRequiredService<TimeProvider>());
            // The key ring sits in the database next to what it protects; it is encrypted with a key kept outside.
            o.XmlEncryptor = new KeyProtectionXmlEncryptor(sp.GetRequiredService<KeyProtectionKeyProvider>());
        }));
        services.AddSingleton<SigningKeyService>();
    }

    private static void AddLatchkeyAccounts(this IServiceCollection services)
    {
        services.AddSingleton<BackgroundAuditWriter>();
        services.AddHostedService(sp => sp.GetRequiredService<BackgroundAuditWriter>());
        services.AddSingleton<AuditLog>();
        services.AddSingleton<AccountSessions>();
        services.AddSingleton<AccountDisabling>();
        services.AddSingleton<PasswordHashing>();
        services.AddSingleton<AccountService>();
        services.AddSingleton<CliMfaRule>();
        services.AddSingleton<PasskeyService>();
        services.AddSingleton<WorkspaceAccessService>();
        services.AddSingleton<WorkspaceAdminService>();
        services.AddSingleton<WorkspaceNaming>();
        services.AddSingleton<AccessTokenService>();
        services.AddSingleton<ApiKeyService>();
        services.AddSingleton<LocalAccessGate>();
        services.AddSingleton<AuditSearch>();
    }

    private static void AddLatchkeyOAuth(this IServiceCollection services)
    {
        services.AddSingleton<ClientRegistry>();
        services.AddSingleton<ClientAuthenticator>();
        services.AddSingleton<AuthorizeRequestValidator>();
        services.AddSingleton<AuthorizationCodeService>();
        services.AddSingleton<TokenIssuer>();
        services.AddSingleton<VerifiedSignatureCache>();
        services.AddSingleton<AccessTokenValidator>();
        services.AddSingleton<CallerResolver>();
        services.AddSingleton<DeviceAuthorizationService>();
        services.AddSingleton<RefreshTokenGrant>();
        services.AddSingleton<DeviceCodeGrant>();
        services.AddSingleton<TokenExchangeGrant>();
        services.AddSingleton<TokenEndpoint>();
        services.AddSingleton<ProtocolEndpoints>();
        services.AddSingleton<StartupInitializer>();
        services.AddHostedService(sp => sp.GetRequiredService<StartupInitializer>());
    }

    private static void AddLatchkeyWeb(this IServiceCollection services, ConfigurationManager configuration)
    {
        services.AddRazorPages(o =>
        {
            o.Conventions.AuthorizeFolder("/Device");
            o.Conventions.AuthorizeFolder("/Console");
            o.Conventions.AuthorizePage("/Account/Security");
            // The Codex CLI sends its users to /codex/device: the same approval page.
            o.Conventions.AddPageRoute("/Device/Index", "/codex/device");
        });
        services.AddAntiforgery(o =>
        {
            o.Cookie.Name = "latchkey.af";
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        });

        var sessionLifetime = Peek(configuration).Lifetimes.Session;
        services.AddSingleton<WebSessions>();
        services.AddSingleton<SessionCookieEvents>();
        services.AddAuthentication(SessionSchemes.Session)
            // The cookie holds only a random session secret; SessionCookieEvents checks it against the server-side record on each request.
            .AddCookie(SessionSchemes.Session, o =>
            {
                ConfigureCookie(o, "latchkey.session", sessionLifetime);
                o.EventsType = typeof(SessionCookieEvents);
            })
            // Between the password and the second factor: proves only the password, lives 10 minutes.
            .AddCookie(SessionSchemes.MfaPending, o => ConfigureCookie(o, "latchkey.mfa", TimeSpan.FromMinutes(10)))
            // The one front door for bearer credentials (sign-in JWT, at- token, sk-lk- key); asked for by bearer endpoints only.
            .AddScheme<AuthenticationSchemeOptions, BearerAuthenticationHandler>(BearerAuthenticationHandler.SchemeName, null)
            // Upstream identity providers (single sign-on), and the 10-minute cookie between their answer and Latchkey's decision.
            .AddLatchkeySso(Peek(configuration).Sso, o => ConfigureCookie(o, "latchkey.external", TimeSpan.FromMinutes(10)));
        services.AddLatchkeySsoServices();
        services.AddAuthorization();

        services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.OnRejected = async (context, cancellationToken) =>
            {
                var response = context.HttpContext.Response;
                response.Headers.RetryAfter = "60";
                if (context.HttpContext.Request.Path.StartsWithSegments("/oauth"))
                {
                    response.ContentType = "application/json";
                    response.Headers.CacheControl = "no-store";
                    await response.WriteAsync("{\"error\":\"temporarily_unavailable\",\"error_description\":\"Too many requests. Retry after 60 seconds.\"}", cancellationToken);
                }
                else
                {
                    response.ContentType = "text/plain";
                    await response.WriteAsync("Too many requests. Wait a minute and try again.", cancellationToken);
                }
            };
            o.AddPolicy("token", ctx => PerAddress(ctx, "token", r => r.TokenEndpointPerMinute));
            o.AddPolicy("signin", ctx => PerAddress(ctx, "signin", r => r.SignInPerMinute));
            o.AddPolicy("device-entry", ctx => PerAddress(ctx, "device", r => r.DeviceEntryPerMinute));
        });

        services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<LatchkeyServerOptions>>((f, latchkey) =>
        {
            f.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost;
            // Only the configured proxies are believed; the framework's default of trusting loopback is removed.
            f.KnownProxies.Clear();
            f.KnownIPNetworks.Clear();
            foreach (var proxy in latchkey.Value.TrustedProxies)
            {
                f.KnownProxies.Add(IPAddress.Parse(proxy));
            }
        });
    }

    private static void ConfigureCookie(CookieAuthenticationOptions o, string name, TimeSpan lifetime)
    {
        o.Cookie.Name = name;
        o.Cookie.HttpOnly = true;
        o.Cookie.SameSite = SameSiteMode.Lax; // Lax, not Strict: the OAuth redirect back from another site must carry it
        o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        o.LoginPath = "/account/login";
        o.LogoutPath = "/account/logout";
        o.AccessDeniedPath = "/account/login";
        o.ExpireTimeSpan = lifetime;
        o.SlidingExpiration = false;
    }

    private static RateLimitPartition<string> PerAddress(HttpContext context, string name, Func<RateLimitOptions, int> limit)
    {
        var options = context.RequestServices.GetRequiredService<IOptions<LatchkeyServerOptions>>().Value.RateLimits;
        var key = name + ":" + (context.Connection.RemoteIpAddress?.ToString() ?? "unknown");
        return RateLimitPartition.GetFixedWindowLimiter(key, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = Math.Max(1, limit(options)),
            Window = TimeSpan.FromMinutes(1),
            QueueLimit = 0,
        });
    }
}
