using Microsoft.OpenApi;

namespace Latchkey.Server.Hosting;

/// <summary>
/// The OpenAPI document of the JSON API (`/api/v1`), served at <see cref="DocumentPath"/> so automation can generate
/// clients. A test compares it with the registered routes: a new `/api/v1` route cannot ship undocumented.
/// </summary>
public static class OpenApiHosting
{
    public const string DocumentName = "v1";
    public const string DocumentPath = "/openapi/v1.json";
    public const string ApiPrefix = "api/v1";

    public static IServiceCollection AddLatchkeyOpenApi(this IServiceCollection services)
    {
        services.AddOpenApi(DocumentName, o =>
        {
            o.ShouldInclude = d => d.RelativePath is { } path && (path == ApiPrefix || path.StartsWith(ApiPrefix + "/", StringComparison.Ordinal));
            o.AddDocumentTransformer((document, _, _) =>
            {
                document.Info = new OpenApiInfo
                {
                    Title = "Latchkey JSON API",
                    Version = "v1",
                    Description = "Workspaces, members, roles, policies, access tokens, API keys and audit. Every call takes "
                        + "`Authorization: Bearer` with a sign-in access token; errors are RFC 9457 problem details with a stable `code`.",
                };
                return Task.CompletedTask;
            });
        });
        return services;
    }

    public static WebApplication MapLatchkeyOpenApi(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapOpenApi("/openapi/{documentName}.json");
        return app;
    }
}
