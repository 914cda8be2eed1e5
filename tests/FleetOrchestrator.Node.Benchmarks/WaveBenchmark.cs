using System.Diagnostics;
using System.Text.Json.Nodes;
using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using FleetOrchestrator.CommandProtocol;
using FleetOrchestrator.ControlPlane.Devices;
using FleetOrchestrator.ControlPlane.Fleet;
using FleetOrchestrator.ControlPlane.Targets;
using FleetOrchestrator.ControlPlane.Waves;
using FleetOrchestrator.Protocol.DeviceApi;

namespace FleetOrchestrator.Node.Benchmarks;

/// <summary>
/// A wave over N registered twins of one tag on one embedded node: a canary stage (its devices report a good update
/// through their twins), then every remaining device at once (no ramp, bake or approval: handing the view out is
/// the bottleneck). Measured: assignments per minute — devices whose twin persisted the wave's view and published
/// it to the gateways — and the latency of what <c>pbm waves status</c> asks (GetWave, ListWaves), sampled every
/// 100 ms from before the wave starts until every twin was checked.
/// </summary>
internal static class WaveBenchmark
{
    internal const string Wave = "bench";
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(30);

    public static async Task<int> RunAsync(Options options)
    {
        var count = options.Int("count", 100_000);
        var inFlight = options.Int("in-flight", 1000);
        var canaryPercent = options.Int("canary-percent", 1);
        var groups = options.Int("groups", 4);
        var evaluateEvery = TimeSpan.FromMilliseconds(options.Int("evaluate-ms", 5000));
        var deadline = TimeSpan.FromSeconds(options.Int("timeout-s", 1800));
        await using var node = await EmbeddedNode.StartAsync(options,
            waves => waves with { EvaluateInterval = evaluateEvery, AssigningWindow = options.Int("window", waves.AssigningWindow) });
        var window = node.Settings.Waves.AssigningWindow;
        var system = node.Host.Services.GetService(typeof(ActorSystem)) as ActorSystem ?? throw new InvalidOperationException("no actor system");
        var twins = await node.ActorAsync<DeviceTwinActor>();
        var registry = await node.ActorAsync<TargetRegistryActor>();
        var waves = await node.ActorAsync<WavesActor>();
        Console.WriteLine($"{count:N0} devices, {groups} groups, canary {canaryPercent} %, waves evaluated every {evaluateEvery.TotalSeconds:F1} s, assigning window {window}, journal: {node.JournalName}; load average {LoadAverage()}");

        var cpu = Stopwatch.StartNew();
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        await node.RegisterAsync("dev", count, inFlight, group: i => $"group-{i % groups}");
        var registered = cpu.Elapsed;
        var registerCpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        Console.WriteLine($"registered in {registered.TotalSeconds:F1} s ({count / registered.TotalSeconds:N0}/s, {registerCpu.TotalMilliseconds / count:F2} ms CPU per twin); load average {LoadAverage()}");
        var table = new FleetTable(node.Persistence);
        var projection = Stopwatch.StartNew();
        await UntilAsync(async () => await table.CountAsync(new FleetQuery(Tag: "main")) >= count, deadline, () => "the fleet table did not list every device");
        Console.WriteLine($"fleet table complete {projection.Elapsed.TotalSeconds:F1} s after the last registration");

        foreach (var version in new[] { "1", "2" })
            if (await registry.Ask<object>(Target($"bench-{version}", version), AskTimeout) is not TargetRecorded recorded) throw new InvalidOperationException($"target {version} not recorded");

        var views = new ViewCounter();
        system.ActorOf(Props.Create(() => new ViewSubscriber(views)), "bench-view-subscriber");
        await Task.Delay(500); // the subscription reaches the mediator
        using var stop = new CancellationTokenSource();
        var sampler = SampleStatusAsync(waves, stop.Token);
        var session = SampleSessionAsync(await node.CommandHostAsync(), stop.Token);

        var clock = Stopwatch.StartNew();
        Expect<WaveAccepted>(await waves.Ask<object>(new InitWave(Wave, "2", "main"), AskTimeout));
        Expect<WaveAccepted>(await waves.Ask<object>(new RolloutWave(Wave, new StageSelection(Percent: canaryPercent), new StageGates()), AskTimeout));
        var canary = (int)Math.Ceiling(canaryPercent / 100.0 * count - 1e-9);
        await UntilAsync(() => views.Count >= canary, deadline, () => $"canary views {views.Count}/{canary}");
        var canaryAssigned = clock.Elapsed;
        var canaryDevices = (await waves.Ask<WaveDevices>(new GetWaveDevices(Wave, 0), AskTimeout)).DeviceIds;
        await ReportSuccessAsync(twins, canaryDevices, inFlight);
        await UntilAsync(async () => (await GetAsync(waves)).Stages[0].Status == StageStatus.Passed, deadline, () => "canary stage did not pass");
        var canaryPassed = clock.Elapsed;
        Console.WriteLine($"canary: {canary:N0} views assigned after {canaryAssigned.TotalSeconds:F1} s; passed after {canaryPassed.TotalSeconds:F1} s");

        var rest = count - canary;
        cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var rollout = Stopwatch.StartNew();
        Expect<WaveAccepted>(await waves.Ask<object>(new RolloutWave(Wave, new StageSelection(), new StageGates()), AskTimeout));
        TimeSpan? released = null;
        var progress = Stopwatch.StartNew();
        await UntilAsync(async () =>
        {
            if (released is null && (await GetAsync(waves)).Stages is [_, { Released: var r }] && r >= rest) released = rollout.Elapsed;
            if (progress.Elapsed >= TimeSpan.FromSeconds(10))
            {
                Console.WriteLine($"  {rollout.Elapsed.TotalSeconds,6:F0} s: {views.Count - canary:N0} views assigned; load average {LoadAverage()}");
                progress.Restart();
            }
            return views.Count >= count;
        }, deadline, () => $"views {views.Count}/{count}");
        var assigned = rollout.Elapsed;
        var rolloutCpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;

        // End to end: every twin asked for its view (what the gateway would serve it when it is next seen).
        var onWave = await CountOnWaveAsync(twins, count, inFlight);
        stop.Cancel();
        var (getWave, listWaves) = await sampler;
        var pbm = await session;

        Console.WriteLine($"all devices: {rest:N0} released by the wave after {released?.TotalSeconds:F1} s; every view persisted and published after {assigned.TotalSeconds:F1} s");
        Console.WriteLine($"assignments: {rest / assigned.TotalMinutes:N0} per minute ({rest / assigned.TotalSeconds:N0}/s); process CPU {rolloutCpu.TotalMilliseconds / rest:F3} ms per assignment");
        Console.WriteLine($"twins asked afterwards: {onWave:N0} of {count:N0} show view {Wave}");
        Console.WriteLine($"GetWave   (pbm waves status <wave>): {Percentiles(getWave)}");
        Console.WriteLine($"ListWaves (pbm waves status):        {Percentiles(listWaves)}");
        Console.WriteLine($"waves status through a pbm session:  {Percentiles(pbm)}");
        Console.WriteLine($"{Environment.ProcessorCount} cores; load average after the run: {LoadAverage()}");
        return onWave == count ? 0 : 1;
    }

    internal static RecordTarget Target(string name, string version) =>
        new(name, System.Text.Encoding.UTF8.GetBytes($"apps of {name}"), new JsonObject
        {
            ["version"] = version,
            ["hardwareIds"] = new JsonArray("rpi4"),
            ["tags"] = new JsonArray("main"),
        });

    /// <summary>Each canary device reports a successful update of the wave's target, as its agent would.</summary>
    private static async Task ReportSuccessAsync(IActorRef twins, IReadOnlyList<string> devices, int inFlight)
    {
        var at = DateTimeOffset.UtcNow;
        var correlation = "2-00000000-0000-4000-8000-000000000001";
        DeviceEvent Event(string device, int n, string type, bool? success) =>
            new($"{device}-{n}", at, new DeviceEventType(type), new DeviceEventBody(correlation, "bench-2", "2", success, null));
        await EmbeddedNode.ForEachAsync(devices, inFlight, async device =>
        {
            var events = new[]
            {
                Event(device, 1, DeviceEventTypes.DownloadStarted, null), Event(device, 2, DeviceEventTypes.DownloadCompleted, true),
                Event(device, 3, DeviceEventTypes.InstallationStarted, null), Event(device, 4, DeviceEventTypes.InstallationApplied, null),
                Event(device, 5, DeviceEventTypes.InstallationCompleted, true),
            };
            Expect<DeviceEventsRecorded>(await twins.Ask<object>(new RecordDeviceEvents(device, events, at), AskTimeout));
        });
    }

    private static async Task<int> CountOnWaveAsync(IActorRef twins, int count, int inFlight)
    {
        var onWave = 0;
        await EmbeddedNode.ForEachAsync(Enumerable.Range(0, count).Select(i => $"dev-{i:D6}").ToList(), inFlight, async device =>
        {
            if ((await twins.Ask<DeviceDetails>(new GetDevice(device), AskTimeout)).ServedView == Wave) Interlocked.Increment(ref onWave);
        });
        return onWave;
    }

    /// <summary>Asks what <c>pbm waves status</c> asks, one after the other with 100 ms between; a slow answer delays the next sample, so the maximum is never hidden.</summary>
    private static async Task<(List<double> Get, List<double> List)> SampleStatusAsync(IActorRef waves, CancellationToken stop)
    {
        var get = new List<double>();
        var list = new List<double>();
        while (!stop.IsCancellationRequested)
        {
            var clock = Stopwatch.StartNew();
            var answer = await waves.Ask<object>(new GetWave(Wave), AskTimeout);
            if (answer is WaveAccepted) get.Add(clock.Elapsed.TotalMilliseconds);
            clock.Restart();
            await waves.Ask<WaveList>(ListWaves.Instance, AskTimeout);
            list.Add(clock.Elapsed.TotalMilliseconds);
            await Task.Delay(100, CancellationToken.None);
        }
        return (get, list);
    }

    /// <summary><c>pbm waves status</c> over one command-host session (TCP, frames, the palette's table), every 100 ms.</summary>
    private static async Task<List<double>> SampleSessionAsync(System.Net.IPEndPoint host, CancellationToken stop)
    {
        using var client = new System.Net.Sockets.TcpClient();
        await client.ConnectAsync(host);
        var frames = new FrameCodec(client.GetStream(), FrameCodec.MaxServerFrameBytes);
        await frames.WriteAsync(new HelloFrame(FrameCodec.ProtocolVersion, Client: "wave-benchmark"), CancellationToken.None);
        Expect<WelcomeFrame>(await frames.ReadAsync<ServerFrame>(CancellationToken.None) ?? throw new InvalidOperationException("no welcome"));
        var latencies = new List<double>();
        while (!stop.IsCancellationRequested)
        {
            var clock = Stopwatch.StartNew();
            await frames.WriteAsync(new RequestFrame("waves", "status", []), CancellationToken.None);
            ServerFrame? frame;
            do frame = await frames.ReadAsync<ServerFrame>(CancellationToken.None) ?? throw new InvalidOperationException("the command host closed the session");
            while (frame is not EndFrame);
            if (frame is EndFrame { ExitCode: not ExitCodes.Ok } failed) throw new InvalidOperationException($"waves status failed: {failed.Message}");
            latencies.Add(clock.Elapsed.TotalMilliseconds);
            await Task.Delay(100, CancellationToken.None);
        }
        return latencies;
    }

    private static string Percentiles(List<double> ms)
    {
        if (ms.Count == 0) return "no samples";
        var sorted = ms.Order().ToList();
        double At(double p) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];
        return $"{sorted.Count:N0} samples, p50 {At(0.50):F1} ms, p99 {At(0.99):F1} ms, max {sorted[^1]:F1} ms, {sorted.Count(x => x >= 200):N0} at 200 ms or more";
    }

    private static async Task<WaveSummary> GetAsync(IActorRef waves) => Expect<WaveAccepted>(await waves.Ask<object>(new GetWave(Wave), AskTimeout)).Wave;

    internal static async Task UntilAsync(Func<bool> condition, TimeSpan timeout, Func<string> what) => await UntilAsync(() => Task.FromResult(condition()), timeout, what);

    internal static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, Func<string> what)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > timeout) throw new TimeoutException(what());
            await Task.Delay(100);
        }
    }

    internal static T Expect<T>(object answer) => answer is T t ? t : throw new InvalidOperationException($"expected {typeof(T).Name}, got {answer}");

    internal static string LoadAverage() => string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3));

    /// <summary>Devices whose twin published the wave's view, counted once each.</summary>
    internal sealed class ViewCounter
    {
        private readonly HashSet<string> _devices = new(StringComparer.Ordinal);
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public void Changed(DeviceViewChanged change)
        {
            if (change.View == Wave && _devices.Add(change.DeviceId)) Interlocked.Increment(ref _count);
        }
    }

    internal sealed class ViewSubscriber : ReceiveActor
    {
        public ViewSubscriber(ViewCounter views)
        {
            Receive<SubscribeAck>(_ => { });
            Receive<DeviceViewChanged>(views.Changed);
        }

        protected override void PreStart() => DistributedPubSub.Get(Context.System).Mediator.Tell(new Subscribe(DeviceTopics.Views, Self));
    }
}
