using System.CommandLine;
using System.Text.Json;
using Latchkey.Client;
using Latchkey.Client.Credentials;
using Latchkey.Protocol.Tokens;

namespace Latchkey.Cli.Commands;

/// <summary>
/// `latchkey login status`: reads the local store with no network call; `--check` also asks the server whether the
/// sign-in still holds (a revoked or expired one then reports "Not logged in", exit 1).
/// </summary>
internal static class StatusCommand
{
    public static Command Create(CliApp app)
    {
        var json = new Option<bool>("--json") { Description = "Print the status as a JSON object (never includes a secret)." };
        var check = new Option<bool>("--check") { Description = "Also ask the server whether the sign-in is still valid (otherwise no network call)." };
        var command = new Command("status", "Show how you are signed in.") { json, check };
        command.SetAction((result, ct) => app.RunAsync(result, async ctx =>
        {
            var status = await ReadAsync(ctx, ct);
            if (result.GetValue(check) && status.LoggedIn)
            {
                status = await ServerCheck.VerifyAsync(ctx, status, ct);
            }
            if (result.GetValue(json))
            {
                ctx.Console.Out.WriteLine(ToJson(status, ctx.Options.Config));
            }
            else
            {
                Print(ctx, status);
            }

            // With --check, success means the server confirmed it (API keys excepted: there is nothing to ask).
            var verified = status.Verification is not { } v || v.Active == true || (v.Active is null && status.Method == LoginMethod.ApiKey);
            return status.LoggedIn && verified ? ExitCodes.Success : ExitCodes.Failure;
        }, ct));
        return command;
    }

    private static async Task<LoginStatus> ReadAsync(CliContext ctx, CancellationToken ct)
    {
        if (ctx.Auth.EnvironmentCredential() is { } env)
        {
            var variable = env.Method == LoginMethod.ApiKey ? "LATCHKEY_API_KEY" : "LATCHKEY_ACCESS_TOKEN";
            return new LoginStatus(true, env.Method, null, null, null, $"environment ({variable})", null, TokenFormat.Mask(env.BearerToken));
        }

        var auth = await ctx.Auth.EnforceRestrictionsAsync(ct);
        if (auth is null)
        {
            return new LoginStatus(false, null, null, null, null, ctx.Store.Description, null, null);
        }

        return auth.Method switch
        {
            LoginMethod.ApiKey => new LoginStatus(true, LoginMethod.ApiKey, null, null, null, ctx.Store.Description, null, TokenFormat.Mask(auth.ApiKey)),
            LoginMethod.AccessToken => new LoginStatus(true, LoginMethod.AccessToken, auth.Tokens?.Provenance?.Email, auth.Tokens?.AccountId, auth.Tokens?.Provenance?.Issuer, ctx.Store.Description, auth.Tokens?.Provenance?.ExpiresAtTime, TokenFormat.Mask(auth.PersonalAccessToken)),
            _ => new LoginStatus(
                true,
                LoginMethod.Workspace,
                TokenClaims.GetEmail(auth.Tokens?.IdToken),
                auth.Tokens?.AccountId ?? TokenClaims.GetWorkspaceId(auth.Tokens?.IdToken),
                auth.Tokens?.Provenance?.Issuer,
                ctx.Store.Description,
                TokenClaims.GetExpiry(auth.Tokens?.AccessToken),
                null),
        };
    }

    private static void Print(CliContext ctx, LoginStatus s)
    {
        var o = ctx.Console.Out;
        if (!s.LoggedIn)
        {
            o.WriteLine("Not logged in");
            return;
        }

        if (s.Verification is { Active: false } refused)
        {
            o.WriteLine($"Not logged in: the server no longer accepts the stored {Describe(s.Method)} ({refused.Detail}). Run `latchkey login`.");
            return;
        }

        o.WriteLine(s.Method switch
        {
            LoginMethod.ApiKey => $"Logged in using an API key - {s.MaskedSecret}",
            LoginMethod.AccessToken => $"Logged in using an access token - {s.MaskedSecret}",
            _ => "Logged in using a workspace account",
        });
        if (s.Email is not null)
        {
            o.WriteLine($"  Email:      {s.Email}");
        }

        if (s.WorkspaceId is not null)
        {
            o.WriteLine($"  Workspace:  {s.WorkspaceId}");
        }

        if (s.Server is not null)
        {
            o.WriteLine($"  Server:     {s.Server}");
        }

        o.WriteLine($"  Stored in:  {s.Store}");
        if (s.AccessTokenExpiresAt is { } exp)
        {
            var left = exp - DateTimeOffset.UtcNow;
            var when = left > TimeSpan.Zero ? $"in {(int)left.TotalMinutes} min" : "expired; it is refreshed on next use";
            o.WriteLine($"  Access token expires: {exp.UtcDateTime:yyyy-MM-dd HH:mm:ss}Z ({when})");
        }

        if (s.Verification is { } v)
        {
            o.WriteLine($"  Checked with the server: {v.Detail}");
        }
    }

    private static string Describe(LoginMethod? method) => method switch
    {
        LoginMethod.ApiKey => "API key",
        LoginMethod.AccessToken => "access token",
        _ => "sign-in",
    };

    private static void WriteRestriction(Utf8JsonWriter w, string name, IReadOnlyList<string> values, Client.Configuration.ConfigLayer layer)
    {
        w.WriteStartObject(name);
        if (values.Count == 0)
        {
            w.WriteNull("value");
        }
        else if (values.Count == 1 && name == "forced_login_method")
        {
            w.WriteString("value", values[0]);
        }
        else
        {
            w.WriteStartArray("value");
            foreach (var v in values)
            {
                w.WriteStringValue(v);
            }

            w.WriteEndArray();
        }

        w.WriteString("set_by", layer switch
        {
            Client.Configuration.ConfigLayer.Managed => "managed",
            Client.Configuration.ConfigLayer.CommandLine => "command_line",
            Client.Configuration.ConfigLayer.User => "user",
            _ => null,
        });
        w.WriteEndObject();
    }

    private static string ToJson(LoginStatus s, Client.Configuration.LatchkeyConfig config)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteBoolean("logged_in", s.LoggedIn);
            w.WriteString("method", s.Method switch { LoginMethod.ApiKey => "api_key", LoginMethod.AccessToken => "access_token", LoginMethod.Workspace => "workspace", _ => null });
            w.WriteString("email", s.Email);
            w.WriteString("workspace_id", s.WorkspaceId);
            w.WriteString("server", s.Server);
            w.WriteString("store", s.Store);
            if (s.AccessTokenExpiresAt is { } exp)
            {
                w.WriteString("access_token_expires_at", AuthDotJson.FormatTimestamp(exp));
            }
            else
            {
                w.WriteNull("access_token_expires_at");
            }

            w.WriteString("secret_masked", s.MaskedSecret);
            w.WriteString("policy_source", s.Method switch { LoginMethod.ApiKey => "workspace_api_settings", null => null, _ => "workspace_member_policies" });
            w.WriteStartObject("restrictions");
            WriteRestriction(w, "forced_login_method", config.ForcedLoginMethod is { } m ? [m] : [], config.SourceOf("forced_login_method"));
            WriteRestriction(w, "forced_chatgpt_workspace_id", config.ForcedWorkspaceIds, config.SourceOf("forced_chatgpt_workspace_id"));
            w.WriteEndObject();
            w.WriteString("credentials_store_setting", config.CredentialsStore);
            // What was verified: null without --check (only the local store was read).
            if (s.Verification is { } v)
            {
                w.WriteStartObject("server_check");
                w.WriteString("by", v.By);
                if (v.Active is { } active)
                {
                    w.WriteBoolean("active", active);
                }
                else
                {
                    w.WriteNull("active");
                }

                w.WriteString("detail", v.Detail);
                w.WriteEndObject();
            }
            else
            {
                w.WriteNull("server_check");
            }
            w.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    internal sealed record LoginStatus(bool LoggedIn, LoginMethod? Method, string? Email, string? WorkspaceId, string? Server, string Store, DateTimeOffset? AccessTokenExpiresAt, string? MaskedSecret)
    {
        public ServerVerification? Verification { get; init; }
    }
}
