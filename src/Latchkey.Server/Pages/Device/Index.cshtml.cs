using Latchkey.Server.Configuration;
using Latchkey.Server.OAuth;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Storage.Rows;
using Latchkey.Server.Web;
using Latchkey.Server.Workspaces;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Pages.Device;

/// <summary>
/// The RFC 8628 verification page: enter the user code, see which client asks (§5.4: name the client so users
/// notice a phishing attempt), then approve or deny. Requires a signed-in session.
/// </summary>
[EnableRateLimiting("device-entry")]
public sealed class DeviceModel(
    DeviceAuthorizationService devices,
    ClientRegistry clients,
    WorkspaceRepository workspaces,
    UserRepository users,
    LocalAccessGate localAccess,
    IOptions<LatchkeyServerOptions> options) : PageModel
{
    public DeviceStage Stage { get; private set; } = DeviceStage.Enter;

    public string? UserCode { get; private set; }

    public string? ClientName { get; private set; }

    public IReadOnlyList<MembershipRow> Workspaces { get; private set; } = [];

    public string? Error { get; private set; }

    private string UserId => SessionClaims.GetUserId(User)!;

    private string? Ip => HttpContext.Connection.RemoteIpAddress?.ToString();

    public IActionResult OnGet([FromQuery(Name = "user_code")] string? userCode)
    {
        if (!options.Value.DeviceAuthorizationEnabled)
        {
            Stage = DeviceStage.Disabled;
            return Page();
        }

        UserCode = UserCodes.Normalize(userCode) is { } n ? UserCodes.Format(n) : null;
        return Page();
    }

    public async Task<IActionResult> OnPostLookupAsync([FromForm(Name = "user_code")] string? userCode, CancellationToken cancellationToken)
    {
        var row = await FindAsync(userCode, cancellationToken);
        if (row is null)
        {
            return Page();
        }

        // Said before the person chooses a workspace: their own switch turns device sign-in off everywhere.
        if (await users.FindByIdAsync(UserId, cancellationToken) is { DeviceSignInDisabled: true })
        {
            return Refuse(AccessRules.Decide(null, WorkspaceAction.SignInWithDevice, new AccessTarget { DeviceSignInOffForAccount = true }).Message);
        }

        Stage = DeviceStage.Confirm;
        return Page();
    }

    public async Task<IActionResult> OnPostDecideAsync(
        [FromForm(Name = "user_code")] string? userCode, [FromForm(Name = "decision")] string? decision, [FromForm(Name = "workspace_id")] string? workspaceId, CancellationToken cancellationToken)
    {
        var row = await FindAsync(userCode, cancellationToken);
        if (row is null)
        {
            return Page();
        }

        var approve = decision == "approve";
        if (approve && !Workspaces.Any(w => w.WorkspaceId == workspaceId))
        {
            Stage = DeviceStage.Confirm;
            Error = "Choose one of your workspaces.";
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return Page();
        }

        if (approve && await CheckPoliciesAsync(row, workspaceId!, cancellationToken) is { } refusal)
        {
            return Refuse(refusal);
        }

        var decided = await devices.DecideAsync(UserCode!, approve, UserId, approve ? workspaceId : null, SessionClaims.GetAuthTime(User), SessionClaims.GetAmr(User), Ip, cancellationToken);
        if (!decided)
        {
            Stage = DeviceStage.Enter;
            Error = "That code is no longer waiting for approval.";
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return Page();
        }

        Stage = approve ? DeviceStage.Approved : DeviceStage.Denied;
        return Page();
    }

    /// <summary>The decision table's device sign-in row: the person's own switch, the workspace's policy, local access.</summary>
    private async Task<string?> CheckPoliciesAsync(DeviceCodeRow row, string workspaceId, CancellationToken cancellationToken)
    {
        var target = new AccessTarget
        {
            DeviceSignInOffForAccount = await users.FindByIdAsync(UserId, cancellationToken) is { DeviceSignInDisabled: true },
            LocalClient = clients.Find(row.ClientId)?.IsLocal == true,
            SignInAmr = SessionClaims.GetAmr(User),
        };
        return (await localAccess.CheckAsync(WorkspaceAction.SignInWithDevice, target, UserId, workspaceId, row.ClientId, Ip, "device_approval", cancellationToken))?.Message;
    }

    private PageResult Refuse(string message)
    {
        Stage = DeviceStage.Refused;
        Error = message;
        Response.StatusCode = StatusCodes.Status403Forbidden;
        return Page();
    }

    private async Task<DeviceCodeRow?> FindAsync(string? userCode, CancellationToken cancellationToken)
    {
        UserCode = userCode;
        if (!options.Value.DeviceAuthorizationEnabled)
        {
            Stage = DeviceStage.Disabled;
            return null;
        }

        if (devices.IsEntryBlocked(Ip, UserId))
        {
            Error = "Too many wrong codes. Wait a few minutes and try again.";
            Response.StatusCode = StatusCodes.Status429TooManyRequests;
            return null;
        }

        var row = await devices.FindPendingAsync(userCode, Ip, UserId, cancellationToken);
        if (row is null)
        {
            Error = "That code is not valid or has expired. Check the code on your device.";
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return null;
        }

        UserCode = UserCodes.Format(UserCodes.Normalize(userCode)!);
        ClientName = clients.Find(row.ClientId)?.DisplayName ?? row.ClientId;
        Workspaces = await workspaces.ListForUserAsync(UserId, cancellationToken);
        return row;
    }
}
