namespace Latchkey.Client.Login;

/// <summary>What to answer the browser, and whether the sign-in is finished (with a result or a failure).</summary>
internal sealed record LoopbackOutcome<T>(LoopbackResponse Response, T? Result, LatchkeyException? Failure)
    where T : class;
