namespace Latchkey.Server.Pages.Console;

/// <summary>
/// The question asked before a destructive action (revoke, remove, delete). A GET with `confirm=…` renders it; its
/// form posts to <paramref name="Handler"/> with `confirm=yes`. A handler posted without `confirm=yes` changes
/// nothing and redirects here, so one stray click never acts and no JavaScript is needed.
/// </summary>
public sealed record Confirmation(string Handler, string Question, string Consequence, string Button, IReadOnlyDictionary<string, string> Fields);
