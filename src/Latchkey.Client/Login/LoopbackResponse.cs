namespace Latchkey.Client.Login;

public sealed record LoopbackResponse(int Status, string Message, string Title = "Latchkey");
