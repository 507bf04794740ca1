using Latchkey.Server.Storage.Rows;
using Latchkey.Server.Workspaces;
using Microsoft.AspNetCore.Mvc;

namespace Latchkey.Server.Pages.Console;

/// <summary>Members with the permission see and manage their own tokens; owners and admins everyone's; others get 404.</summary>
public sealed class TokensModel(AccessTokenService tokens, TimeProvider time) : ConsolePageModel
{
    public IReadOnlyList<AccessTokenRow> Tokens { get; private set; } = [];

    public DateTimeOffset Now => time.GetUtcNow();

    public string? NewSecret { get; private set; }

    public string? NewName { get; private set; }

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
    }

    public async Task<IActionResult> OnPostCreateAsync(string? name, string? expiration, [FromForm(Name = "expires_at")] string? expiresAt, CancellationToken cancellationToken)
    {
        var result = await tokens.CreateAsync(Access, name, expiration, expiresAt, Ip, cancellationToken);
        await OnGetAsync(cancellationToken);
        if (!result.Succeeded)
        {
            (Name, Expiration, ExpiresAt) = (name, expiration ?? string.Empty, expiresAt);
            return Refused(result.Error! with { Message = result.Error.Message + " No token was created." });
        }

        // Rendered in this response only: never redirected through TempData, never stored.
        (NewSecret, NewName) = (result.Value.Secret, result.Value.Token.Name);
        return Page();
    }

    public async Task<IActionResult> OnPostRevokeAsync(string? tokenId, CancellationToken cancellationToken)
    {
        var result = await tokens.RevokeAsync(Access, tokenId ?? string.Empty, Ip, cancellationToken);
        await OnGetAsync(cancellationToken);
        return result.Succeeded ? Done($"Access token “{result.Value!.Name}” revoked.") : Refused(result.Error!);
    }

    public async Task<IActionResult> OnPostRotateAsync(string? tokenId, CancellationToken cancellationToken)
    {
        var result = await tokens.RotateAsync(Access, tokenId ?? string.Empty, Ip, cancellationToken);
        await OnGetAsync(cancellationToken);
        if (!result.Succeeded)
        {
            return Refused(result.Error!);
        }

        (NewSecret, NewName) = (result.Value.Secret, result.Value.Token.Name);
        return Page();
    }
}
