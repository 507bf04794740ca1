using Latchkey.Server.Storage.Rows;
using Latchkey.Server.Workspaces;
using Microsoft.AspNetCore.Mvc;

namespace Latchkey.Server.Pages.Console;

public sealed class ApiKeysModel(ApiKeyService keys) : ConsolePageModel
{
    public IReadOnlyList<ApiKeyRow> Keys { get; private set; } = [];

    public string? NewSecret { get; private set; }

    public string? NewName { get; private set; }

    public string? Name { get; private set; }

    protected override WorkspaceAction? RequiredAction => WorkspaceAction.ListApiKeys;

    public async Task OnGetAsync(CancellationToken cancellationToken) => Keys = (await keys.ListAsync(Access, cancellationToken)).Value ?? [];

    public async Task<IActionResult> OnPostCreateAsync(string? name, CancellationToken cancellationToken)
    {
        var result = await keys.CreateAsync(Access, name, Ip, cancellationToken);
        await OnGetAsync(cancellationToken);
        if (!result.Succeeded)
        {
            Name = name;
            return Refused(result.Error!);
        }

        (NewSecret, NewName) = (result.Value.Secret, result.Value.Key.Name);
        return Page();
    }

    public async Task<IActionResult> OnPostRevokeAsync(string? keyId, CancellationToken cancellationToken)
    {
        var result = await keys.RevokeAsync(Access, keyId ?? string.Empty, Ip, cancellationToken);
        await OnGetAsync(cancellationToken);
        return result.Succeeded ? Done("API key revoked.") : Refused(result.Error!);
    }
}
