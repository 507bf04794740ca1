namespace Latchkey.Client.Login;

internal sealed record LoopbackRequest(string Path, IReadOnlyDictionary<string, string> Query);
