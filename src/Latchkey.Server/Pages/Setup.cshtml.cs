using Latchkey.Server.Accounts;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;

namespace Latchkey.Server.Pages;

[EnableRateLimiting("signin")]
public sealed class SetupModel(AccountService accounts) : PageModel
{
    public bool LinkUsable { get; private set; }

    public string? Token { get; private set; }

    public string? Email { get; private set; }

    public string? Error { get; private set; }

    public async Task<IActionResult> OnGetAsync(string? token, CancellationToken cancellationToken)
    {
        Token = token;
        LinkUsable = await accounts.IsSetupTokenUsableAsync(token, cancellationToken);
        if (!LinkUsable)
        {
            Response.StatusCode = StatusCodes.Status404NotFound;
        }

        return Page();
    }

    public async Task<IActionResult> OnPostAsync(string? token, string? email, string? password, CancellationToken cancellationToken)
    {
        var result = await accounts.CompleteSetupAsync(token, email, password, cancellationToken);
        if (result.Succeeded)
        {
            return Redirect("/account/login?message=setup");
        }

        Token = token;
        Email = email;
        LinkUsable = result.ErrorCode != "invalid_setup_link";
        Error = result.Error;
        Response.StatusCode = StatusCodes.Status400BadRequest;
        return Page();
    }
}
