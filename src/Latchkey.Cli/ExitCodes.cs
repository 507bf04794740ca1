namespace Latchkey.Cli;

/// <summary>DESIGN.md: 0 success; 1 failure or not signed in; 2 usage error; 130 interrupted.</summary>
public static class ExitCodes
{
    public const int Success = 0;
    public const int Failure = 1;
    public const int Usage = 2;
    public const int Interrupted = 130;
}
