using Latchkey.Server.Hosting;

if (ServerCommandLine.TryAnswer(args, Console.Out, out var answered))
{
    return answered;
}

var commandArgs = OperatorCommands.SettingsArgs(args);
var builder = WebApplication.CreateBuilder(ServerLogging.BuilderOptions(commandArgs));
builder.Configuration.UseApplicationFolderSettings();
builder.Configuration.AddCommandLine(commandArgs, ServerCommandLine.Switches.ToDictionary());
builder.AddLatchkeyServer();
// A failed start is reported by ServerCommandLine in one line; the host's own report is a stack trace.
builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.None);
var app = builder.Build();
return await ServerCommandLine.RunAsync(app, args, commandArgs);

/// <summary>Entry point, visible to WebApplicationFactory in tests.</summary>
public partial class Program;
