namespace Latchkey.Client.Login;

internal sealed record LoopbackResponse(int Status, string Message, string Title = "Latchkey");
