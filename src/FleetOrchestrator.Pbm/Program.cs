using FleetOrchestrator.Pbm;

return await PbmCommand.RunAsync(args, Console.Out, Console.Error);
