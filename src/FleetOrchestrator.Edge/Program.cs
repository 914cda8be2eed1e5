using System.CommandLine;
using FleetOrchestrator.Edge.Commands;
using FleetOrchestrator.Edge.Tuf;

var root = new RootCommand("fleet-edge: the FleetOrchestrator agent on a device");
root.Subcommands.Add(TufCommand.Create());
root.Subcommands.Add(RegisterCommand.Create());
root.Subcommands.Add(AgentCommands.Update());
root.Subcommands.Add(AgentCommands.Status());
root.Subcommands.Add(AgentCommands.Run());
root.Subcommands.Add(SimulateCommand.Create());
return await root.Parse(args).InvokeAsync();
