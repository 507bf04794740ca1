using Latchkey.Server.Storage.Rows;
using Latchkey.Server.Workspaces;
using Microsoft.AspNetCore.Mvc;

namespace Latchkey.Server.Pages.Console;

public sealed class ApiKeysModel(ApiKeyService keys) : ConsolePageModel
{
    public IReadOnlyList<ApiKeyRow> Keys { get; private set; } = [];

    public string? Name { get; private set; }

    protected override WorkspaceAction? RequiredAction => WorkspaceAction.ListApiKeys;

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        Keys = (await keys.ListAsync(Access, cancellationToken)).Value ?? [];
        if (Asked == "revoke" && Keys.FirstOrDefault(k => k.Id == Request.Query["keyId"] && k.RevokedAt is null) is { } key)
        {
            Confirm = new Confirmation("revoke", $"Revoke the API key “{key.Name}”{(key.DisplayMask is null ? string.Empty : $" ({key.DisplayMask})")}?",
                "Everything calling the model gateway with it is refused from now on. This cannot be undone.", "Revoke key", new Dictionary<string, string> { ["keyId"] = key.Id });
        }
    }

    public async Task<IActionResult> OnPostCreateAsync(string? name, CancellationToken cancellationToken)
    {
        var result = await keys.CreateAsync(Access, name, Ip, cancellationToken);
        if (!result.Succeeded)
        {
            await OnGetAsync(cancellationToken);
            Name = name;
            return Refused(result.Error!);
        }

        return ShowOnce(new ShownSecret(ShownSecret.KeyKind, result.Value.Key.Name, result.Value.Secret));
    }

    public async Task<IActionResult> OnPostRevokeAsync(string? keyId, string? confirm, CancellationToken cancellationToken)
    {
        if (Unconfirmed(confirm, "revoke", ("keyId", keyId)) is { } ask)
        {
            return ask;
        }

        var result = await keys.RevokeAsync(Access, keyId ?? string.Empty, Ip, cancellationToken);
        if (!result.Succeeded)
        {
            await OnGetAsync(cancellationToken);
            return Refused(result.Error!);
        }

        return Done("API key revoked.");
    }
}
