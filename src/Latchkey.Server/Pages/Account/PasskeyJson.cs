using Latchkey.Server.Accounts;
using Microsoft.AspNetCore.Mvc;

namespace Latchkey.Server.Pages.Account;

/// <summary>The answers passkeys.js reads: WebAuthn options as JSON, or a refusal with a sentence to show.</summary>
public static class PasskeyJson
{
    public static ContentResult Options(PasskeyCeremony ceremony)
    {
        ArgumentNullException.ThrowIfNull(ceremony);
        return new ContentResult { Content = ceremony.OptionsJson, ContentType = "application/json; charset=utf-8", StatusCode = StatusCodes.Status200OK };
    }

    public static JsonResult Refusal(int status, string code, string message)
        => new(new Dictionary<string, string> { ["error"] = code, ["error_description"] = message }) { StatusCode = status };
}
