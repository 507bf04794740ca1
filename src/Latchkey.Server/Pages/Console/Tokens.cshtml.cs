using Latchkey.Server.Storage.Rows;
using Latchkey.Server.Workspaces;
using Microsoft.AspNetCore.Mvc;

namespace Latchkey.Server.Pages.Console;

/// <summary>Members with the permission see and manage their own tokens; owners and admins everyone's; others get 404.</summary>
public sealed class TokensModel(AccessTokenService tokens) : ConsolePageModel
{
    public IReadOnlyList<AccessTokenRow> Tokens { get; private set; } = [];

    public string? Name { get; private set; }

    public string Expiration { get; private set; } = "30d";

    public string? ExpiresAt { get; private set; }

    protected override WorkspaceAction? RequiredAction => WorkspaceAction.ListAccessTokens;

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        Tokens = (await tokens.ListAsync(Access, cancellationToken)).Value ?? [];
        if (Access.Workspace.AccessTokenMaxDays is { } limit && limit < 30)
        {
            Expiration = "7d";
        }

        // Only a token this person can see and that is still live is asked about; anything else asks nothing.
        if (Asked == "revoke" && Tokens.FirstOrDefault(t => t.Id == Request.Query["tokenId"] && AccessTokenService.Status(t, Now) == "active") is { } token)
        {
            var whose = token.UserId == Access.UserId ? "your" : token.CreatorEmail + "’s";
            Confirm = new Confirmation("revoke", $"Revoke {whose} access token “{token.Name}” ({token.DisplayMask ?? "created " + HumanTime.Relative(DateTimeOffset.FromUnixTimeMilliseconds(token.CreatedAt), Now)})?",
                "Anything using it stops working at once. This cannot be undone.", "Revoke token", new Dictionary<string, string> { ["tokenId"] = token.Id });
        }
    }

    public async Task<IActionResult> OnPostCreateAsync(string? name, string? expiration, [FromForm(Name = "expires_at")] string? expiresAt, CancellationToken cancellationToken)
    {
        var result = await tokens.CreateAsync(Access, name, expiration, expiresAt, Ip, cancellationToken);
        if (!result.Succeeded)
        {
            await OnGetAsync(cancellationToken);
            (Name, Expiration, ExpiresAt) = (name, expiration ?? string.Empty, expiresAt);
            return Refused(result.Error! with { Message = result.Error.Message + " No token was created." });
        }

        return ShowOnce(new ShownSecret(ShownSecret.TokenKind, result.Value.Token.Name, result.Value.Secret));
    }

    public async Task<IActionResult> OnPostRevokeAsync(string? tokenId, string? confirm, CancellationToken cancellationToken)
    {
        if (Unconfirmed(confirm, "revoke", ("tokenId", tokenId)) is { } ask)
        {
            return ask;
        }

        var result = await tokens.RevokeAsync(Access, tokenId ?? string.Empty, Ip, cancellationToken);
        if (!result.Succeeded)
        {
            await OnGetAsync(cancellationToken);
            return Refused(result.Error!);
        }

        return Done($"Access token “{result.Value!.Name}” revoked.");
    }

    public async Task<IActionResult> OnPostRotateAsync(string? tokenId, CancellationToken cancellationToken)
    {
        var result = await tokens.RotateAsync(Access, tokenId ?? string.Empty, Ip, cancellationToken);
        if (!result.Succeeded)
        {
            await OnGetAsync(cancellationToken);
            return Refused(result.Error!);
        }

        return ShowOnce(new ShownSecret(ShownSecret.TokenKind, result.Value.Token.Name, result.Value.Secret), $"Access token “{result.Value.Token.Name}” rotated: the old one no longer works.");
    }
}
