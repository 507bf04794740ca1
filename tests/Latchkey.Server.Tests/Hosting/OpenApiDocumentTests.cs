using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Latchkey.Server.Hosting;
using Latchkey.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Latchkey.Server.Tests.Hosting;

/// <summary>
/// The served OpenAPI document lists exactly the `/api/v1` routes the server registers (EndpointDataSource), with
/// their methods: a route added without documentation, or documentation left for a removed route, fails here.
/// </summary>
public sealed partial class OpenApiDocumentTests() : ServerTest
{
    [Fact]
    public async Task Document_CoversEveryApiV1RouteAndMethod_AndNothingElse()
    {
        var response = await Factory.CreateClient().GetAsync(new Uri(OpenApiHosting.DocumentPath, UriKind.Relative));
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var document = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        var documented = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var (path, item) in document["paths"]!.AsObject())
        {
            foreach (var (method, _) in item!.AsObject().Where(p => HttpVerbs.Contains(p.Key)))
            {
                documented.Add($"{method.ToUpperInvariant()} {path}");
            }
        }

        var registered = new SortedSet<string>(StringComparer.Ordinal);
        var endpoints = Factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>();
        foreach (var endpoint in endpoints)
        {
            var pattern = "/" + endpoint.RoutePattern.RawText!.Trim('/');
            if (pattern != "/api/v1" && !pattern.StartsWith("/api/v1/", StringComparison.Ordinal))
            {
                continue;
            }

            foreach (var method in endpoint.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()?.HttpMethods ?? [])
            {
                registered.Add($"{method} {RouteConstraint().Replace(pattern, "{$1}")}");
            }
        }

        Assert.NotEmpty(registered);
        Assert.Equal(registered, documented);
        Assert.Equal("Latchkey JSON API", (string?)document["info"]!["title"]);
    }

    private static readonly HashSet<string> HttpVerbs = ["get", "put", "post", "delete", "patch", "head", "options", "trace"];

    // {id:guid} and {id?} are written {id} in OpenAPI paths.
    [GeneratedRegex(@"\{([A-Za-z0-9_]+)(?::[^}]*)?\??\}")]
    private static partial Regex RouteConstraint();
}
