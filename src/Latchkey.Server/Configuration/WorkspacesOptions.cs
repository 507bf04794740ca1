namespace Latchkey.Server.Configuration;

/// <summary>Latchkey:Workspaces — how accounts and workspaces start out.</summary>
public sealed class WorkspacesOptions
{
    /// <summary>
    /// Give every new account a workspace of its own. Off by default: people join through an invitation to a team
    /// workspace, and an empty personal one would only crowd every CLI and Codex sign-in's workspace choice. The
    /// first owner (the setup link) always gets a workspace, the one they invite their team into.
    /// </summary>
    public bool CreatePersonalWorkspace { get; set; }
}
