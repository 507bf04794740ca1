using System.Text.Json.Nodes;
using Latchkey.Server.Audit;
using Latchkey.Server.Common;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Storage.Rows;

namespace Latchkey.Server.Workspaces;

/// <summary>Renaming a workspace: the decision table's RenameWorkspace row, the same name rules as creation, audited.</summary>
public sealed class WorkspaceNaming(WorkspaceRepository workspaces, AuditLog audit)
{
    public async Task<ServiceResult<WorkspaceRow>> RenameAsync(WorkspaceAccess actor, string? name, string? ip, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (actor.Decide(WorkspaceAction.RenameWorkspace).ToError() is { } refused)
        {
            return refused;
        }

        var (valid, error) = InputRules.Name(name, "Workspace name");
        if (error is not null)
        {
            return ServiceError.Invalid("name", error);
        }

        if (valid != actor.Workspace.Name)
        {
            await workspaces.RenameAsync(actor.WorkspaceId, valid!, cancellationToken);
            await audit.WriteAsync(AuditEventTypes.WorkspaceRenamed, actor.UserId, actor.WorkspaceId, ipAddress: ip,
                detail: new JsonObject { ["from"] = actor.Workspace.Name, ["to"] = valid }, cancellationToken: cancellationToken);
        }

        return ServiceResult.Ok((await workspaces.FindAsync(actor.WorkspaceId, cancellationToken))!);
    }
}
