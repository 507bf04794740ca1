using System.Globalization;
using Latchkey.Server.Common;
using Latchkey.Server.Storage.Rows;
using Latchkey.Server.Workspaces;
using Microsoft.AspNetCore.Mvc;

namespace Latchkey.Server.Pages.Console;

public sealed class PoliciesModel(WorkspaceAdminService admin) : ConsolePageModel
{
    private readonly Dictionary<string, string?> submitted = [];

    public WorkspaceRow Policies => Access.Workspace;

    protected override WorkspaceAction? RequiredAction => WorkspaceAction.ReadPolicies;

    /// <summary>The value to show: what was submitted when it was refused, else the stored one.</summary>
    public string? Field(string name, long? stored)
        => submitted.TryGetValue(name, out var v) ? v : stored?.ToString(CultureInfo.InvariantCulture);

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        var form = Request.Form;
        var errors = new Dictionary<string, string>();
        long? Days(string name)
        {
            var raw = form[name].ToString().Trim();
            submitted[name] = raw;
            if (raw.Length == 0)
            {
                return 0; // empty = no limit / default
            }

            if (long.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var days))
            {
                return days;
            }

            errors[name] = $"Enter a whole number of days, or leave it empty.";
            return null;
        }

        // Unchecked checkboxes are absent from the form: absent means off.
        var change = new PolicyChange
        {
            LocalAccessEnabled = form["local_access_enabled"] == "true",
            DeviceSignInEnabled = form["device_sign_in_enabled"] == "true",
            MemberAccessTokensEnabled = form["member_access_tokens_enabled"] == "true",
            RequirePasskey = form["require_passkey"] == "true",
            AccessTokenMaxDays = Days("access_token_max_days"),
            AuditRetentionDays = Days("audit_retention_days"),
            ApiUsageRetentionDays = Days("api_usage_retention_days"),
        };
        if (errors.Count > 0)
        {
            return Refused(new ServiceError(StatusCodes.Status400BadRequest, "validation_failed", "Some values are not valid; nothing was changed.", errors));
        }

        var result = await admin.UpdatePoliciesAsync(Access, change, Ip, cancellationToken);
        return result.Succeeded ? Done("Policies saved.") : Refused(result.Error! with { Message = result.Error.Message + " Nothing was changed." });
    }
}
