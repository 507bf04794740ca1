using Latchkey.Cli;

return await new CliApp(CliConsole.System).InvokeAsync(args);
