namespace Latchkey.Client.Login;

internal static class LoopbackOutcome
{
    /// <summary>Answer and keep waiting for the real callback.</summary>
    public static LoopbackOutcome<T> Continue<T>(LoopbackResponse response)
        where T : class => new(response, null, null);

    public static LoopbackOutcome<T> Done<T>(LoopbackResponse response, T result)
        where T : class => new(response, result, null);

    public static LoopbackOutcome<T> Fail<T>(LoopbackResponse response, LatchkeyException failure)
        where T : class => new(response, null, failure);
}
