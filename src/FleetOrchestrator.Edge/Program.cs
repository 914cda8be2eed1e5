using System.CommandLine;
using FleetOrchestrator.Edge.Tuf;

var root = new RootCommand("fleet-edge: the FleetOrchestrator agent on a device");
root.Subcommands.Add(TufCommand.Create());
return await root.Parse(args).InvokeAsync();
