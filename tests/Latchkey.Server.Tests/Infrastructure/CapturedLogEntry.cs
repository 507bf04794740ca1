using Microsoft.Extensions.Logging;

namespace Latchkey.Server.Tests.Infrastructure;

public sealed record CapturedLogEntry(LogLevel Level, string Category, string Message, Exception? Exception)
{
    public override string ToString() => $"{Level} {Category}: {Message}{(Exception is null ? string.Empty : Environment.NewLine + Exception)}";
}
