using BenchmarkDotNet.Running;
using FleetOrchestrator.Tuf.Benchmarks;

// `side-by-side [rounds]`: the signature overhead measured in alternating rounds (below); anything else: BenchmarkDotNet.
if (args.FirstOrDefault() == "side-by-side")
    return SideBySide.Run(args.Length > 1 ? int.Parse(args[1]) : 40);
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
