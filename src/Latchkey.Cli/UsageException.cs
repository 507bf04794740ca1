namespace Latchkey.Cli;

/// <summary>The command line was wrong: one line of help, exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);
