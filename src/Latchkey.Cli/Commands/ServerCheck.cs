using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Latchkey.Client;
using Latchkey.Client.Credentials;

namespace Latchkey.Cli.Commands;

/// <summary>Asks the server whether the stored sign-in still holds: userinfo for a sign-in, whoami for an access token.</summary>
internal static class ServerCheck
{
    public static async Task<StatusCommand.LoginStatus> VerifyAsync(CliContext ctx, StatusCommand.LoginStatus status, CancellationToken ct)
    {
        switch (status.Method)
        {
            case LoginMethod.AccessToken:
                var credential = await ctx.Auth.GetCredentialAsync(ct);
                var server = credential.Server ?? ctx.Options.Server;
                if (server is null)
                {
                    return status with { Verification = new ServerVerification("whoami", null, "the stored access token does not name its server; pass --server") };
                }

                try
                {
                    // The library's whoami check, the one every embedding app makes at run start.
                    var who = await ctx.Client.Check.WhoAmIAsync(server, credential.BearerToken, ct);
                    return status with
                    {
                        Email = who.Email ?? status.Email,
                        WorkspaceId = who.WorkspaceId ?? status.WorkspaceId,
                        Server = server,
                        AccessTokenExpiresAt = who.ExpiresAt ?? status.AccessTokenExpiresAt,
                        Verification = new ServerVerification("whoami", true, "the access token is valid"),
                    };
                }
                catch (LatchkeyException ex) when (ex.Code == ErrorCodes.InvalidSecret)
                {
                    return status with { Verification = new ServerVerification("whoami", false, ex.Message) };
                }
                catch (LatchkeyException ex) when (ex.Code is ErrorCodes.ServerUnreachable or ErrorCodes.InvalidServerResponse)
                {
                    return status with { Verification = new ServerVerification("whoami", null, ex.Message) };
                }

            case LoginMethod.Workspace:
                return await VerifySignInAsync(ctx, status, ct);
            default:
                return status with { Verification = new ServerVerification("none", null, "API keys are checked by the model gateway when used; the server has no separate check for them") };
        }
    }

    private static async Task<StatusCommand.LoginStatus> VerifySignInAsync(CliContext ctx, StatusCommand.LoginStatus status, CancellationToken ct)
    {
        LatchkeyCredential credential;
        try
        {
            // Refreshes first when the access token is about to expire: a revoked grant shows up here.
            credential = await ctx.Auth.GetCredentialAsync(ct);
        }
        catch (LatchkeyException ex) when (ex.Code is ErrorCodes.RefreshFailed or ErrorCodes.NotSignedIn)
        {
            return status with { Verification = new ServerVerification("refresh", false, ex.Message) };
        }
        catch (LatchkeyException ex) when (ex.Code is ErrorCodes.ServerUnreachable or ErrorCodes.InvalidServerResponse)
        {
            return status with { Verification = new ServerVerification("refresh", null, ex.Message) };
        }

        var server = status.Server ?? ctx.Options.Server;
        if (server is null)
        {
            return status with { Verification = new ServerVerification("userinfo", null, "the stored sign-in does not name its server; pass --server") };
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, server.TrimEnd('/') + "/oauth/userinfo");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", credential.BearerToken);
        try
        {
            using var response = await ctx.Http.SendAsync(request, ct);
            if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
            {
                return status with { Verification = new ServerVerification("userinfo", false, "revoked, expired, or no longer a member of the workspace") };
            }

            if (!response.IsSuccessStatusCode)
            {
                return status with { Verification = new ServerVerification("userinfo", null, $"the server answered HTTP {(int)response.StatusCode}") };
            }

            var email = TryEmail(await response.Content.ReadAsStringAsync(ct));
            return status with
            {
                Email = email ?? status.Email,
                AccessTokenExpiresAt = credential.ExpiresAt ?? status.AccessTokenExpiresAt,
                Verification = new ServerVerification("userinfo", true, "the sign-in is valid"),
            };
        }
        catch (HttpRequestException ex)
        {
            return status with { Verification = new ServerVerification("userinfo", null, $"could not reach {server}: {ex.Message}") };
        }
    }

    private static string? TryEmail(string body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            return doc.RootElement.TryGetProperty("email", out var e) && e.ValueKind == JsonValueKind.String ? e.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
