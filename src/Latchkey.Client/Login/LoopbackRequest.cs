namespace Latchkey.Client.Login;

public sealed record LoopbackRequest(string Path, IReadOnlyDictionary<string, string> Query);
