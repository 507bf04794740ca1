namespace Latchkey.Server.Common;

/// <summary>
/// A problem the operator must fix before the server can start (a missing or exposed key file, a key that does not
/// belong to this database). Its message is shown as one line, without a stack trace.
/// </summary>
public sealed class StartupException : Exception
{
    public StartupException()
    {
    }

    public StartupException(string message)
        : base(message)
    {
    }

    public StartupException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
