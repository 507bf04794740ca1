using Latchkey.Server.Hosting;

var commandArgs = OperatorCommands.SettingsArgs(args);
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = commandArgs });
builder.Configuration.AddCommandLine(commandArgs, new Dictionary<string, string>
{
    ["--port"] = "Latchkey:Port",
    ["--listen"] = "Latchkey:ListenAddress",
    ["--issuer"] = "Latchkey:Issuer",
    ["--data-dir"] = "Latchkey:DataDirectory",
    ["--database"] = "Latchkey:Database:Provider",
    ["--connection-string"] = "Latchkey:Database:ConnectionString",
});
builder.AddLatchkeyServer();

var app = builder.Build();
if (OperatorCommands.IsOperatorCommand(args))
{
    return await OperatorCommands.RunAsync(app, args);
}

app.UseLatchkeyServer();
await app.RunAsync();
return 0;

/// <summary>Entry point, visible to WebApplicationFactory in tests.</summary>
public partial class Program;
