using BenchmarkDotNet.Running;

// dotnet run -c Release --project tests/FleetOrchestrator.Publishing.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
