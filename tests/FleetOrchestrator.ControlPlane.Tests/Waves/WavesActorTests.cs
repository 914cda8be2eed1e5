using Akka.Actor;
using Akka.Hosting;
using FleetOrchestrator.ControlPlane.Devices;
using FleetOrchestrator.ControlPlane.Fleet;
using FleetOrchestrator.ControlPlane.Hosting;
using FleetOrchestrator.ControlPlane.Publishing;
using FleetOrchestrator.ControlPlane.Targets;
using FleetOrchestrator.ControlPlane.Tests.Devices;
using FleetOrchestrator.ControlPlane.Waves;
using FleetOrchestrator.Protocol.Decisions;
using FleetOrchestrator.Protocol.DeviceApi;
using FleetOrchestrator.TestSupport;
using FleetOrchestrator.Tuf.Repository;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace FleetOrchestrator.ControlPlane.Tests.Waves;

/// <summary>A wave end to end on an embedded node: real registry actor, twins, projection and SQLite fleet table; devices report through their twins.</summary>
public sealed class WavesActorTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private readonly TempDirectory _data = new();
    private readonly TestRepository _keys = new();

    public void Dispose() => _data.Dispose();

    private async Task<IHost> StartAsync()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddAkka(ControlPlaneSettings.SystemName, akka => akka.WithFleetControlPlane(TestSettings.ControlPlane(
            PersistenceSettings.SqliteFile(_data.Combine("journal.db")), TestSettings.Registry(_keys), projection: TestSettings.Projection(TimeSpan.FromMilliseconds(50)),
            // A window smaller than a stage: views go out in turns as twins answer.
            waves: TestSettings.Waves(evaluateEvery: TimeSpan.FromMilliseconds(200), assigningWindow: 2))));
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    private static async Task<T> AskAsync<T>(IActorRef actor, object message) => await actor.Ask<T>(message, Wait);

    private static async Task<WaveSummary> UntilAsync(IActorRef waves, string wave, Func<WaveSummary, bool> condition)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (true)
        {
            var summary = (await AskAsync<WaveAccepted>(waves, new GetWave(wave))).Wave;
            if (condition(summary)) return summary;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"wave stayed {summary.Status}: {string.Join("; ", summary.Stages.Select(s => $"{s.Status} {s.Reason}"))}");
            await Task.Delay(100);
        }
    }

    private static IReadOnlyList<DeviceEvent> FailedUpdate(string target, string prefix) =>
    [
        DeviceReports.Event($"{prefix}-1", DeviceEventTypes.DownloadStarted, target),
        DeviceReports.Event($"{prefix}-2", DeviceEventTypes.DownloadCompleted, target, success: true),
        DeviceReports.Event($"{prefix}-3", DeviceEventTypes.InstallationStarted, target),
        DeviceReports.Event($"{prefix}-4", DeviceEventTypes.InstallationCompleted, target, success: false, details: "app web exited (1); rolled back"),
    ];

    [Fact]
    public async Task A_wave_rolls_out_in_stages_passes_on_success_pauses_on_failure_and_completes_into_production()
    {
        using var host = await StartAsync();
        var actors = host.Services.GetRequiredService<ActorRegistry>();
        var registry = await actors.GetAsync<TargetRegistryActor>();
        var twins = await actors.GetAsync<DeviceTwinActor>();
        var waves = await actors.GetAsync<WavesActor>();
        await AskAsync<TargetRecorded>(registry, TestRepository.Target("acme-1", "one", "main", "prod"));
        await AskAsync<TargetRecorded>(registry, TestRepository.Target("acme-2", "two", "main"));
        var lab = Enumerable.Range(1, 4).Select(i => $"lab-{i}").ToList();
        var field = Enumerable.Range(1, 6).Select(i => $"field-{i}").ToList();
        foreach (var (device, group) in lab.Select(d => (d, "lab")).Concat(field.Select(d => (d, "field"))))
            await AskAsync<DeviceRegistered>(twins, new RegisterDevice(device, "generic", "prod", "fp-" + device, group));

        // Stages pick devices from the fleet table: wait until the projection has them all.
        var table = new FleetTable(PersistenceSettings.SqliteFile(_data.Combine("journal.db")));
        for (var deadline = DateTime.UtcNow + Wait; await table.CountAsync(new FleetQuery(Tag: "prod")) < 10; await Task.Delay(100))
            if (DateTime.UtcNow > deadline) throw new TimeoutException("the fleet table did not list the registered devices");

        Assert.Equal("no recorded target has version 9", (await AskAsync<Refused>(waves, new InitWave("wave-1", "9", "prod"))).Reason);
        var wave = (await AskAsync<WaveAccepted>(waves, new InitWave("wave-1", "2", "prod"))).Wave;
        Assert.Equal("acme-2", wave.Target);
        Assert.StartsWith("tag prod already has an open wave", (await AskAsync<Refused>(waves, new InitWave("wave-2", "2", "prod"))).Reason);
        var metadata = await AskAsync<RepositoryMetadata>(registry, GetRepositoryMetadata.Instance);
        Assert.Contains(metadata.Views, v => v.Tag == "prod" && v.View == "wave-1");
        var openedAt = metadata.Views.First(v => v.Tag == "prod").TargetsVersion;

        // Stage 0: the lab group, all of it; every device reports a good update -> passed.
        await AskAsync<WaveAccepted>(waves, new RolloutWave("wave-1", new StageSelection(Group: "lab"), new StageGates()));
        var running = await UntilAsync(waves, "wave-1", w => w.Stages[0].Released == 4);
        Assert.Equal(4, running.Stages[0].Devices);
        // The released devices' twins now send them the wave's view; the others stay on production.
        foreach (var device in lab) await UntilViewAsync(twins, device, "wave-1");
        Assert.Equal(Tuf.Repository.TufRepository.ProductionView, (await AskAsync<DeviceDetails>(twins, new GetDevice("field-1"))).ServedView);
        // A device that trusted production at the shared version would keep it: the tag's views are signed again
        // above it once the moves settled, so the moved devices' TUF clients read their new view.
        for (var deadline = DateTime.UtcNow + Wait; ; await Task.Delay(100))
        {
            var versions = (await AskAsync<RepositoryMetadata>(registry, GetRepositoryMetadata.Instance)).Views.Where(v => v.Tag == "prod").Select(v => v.TargetsVersion).Distinct().ToList();
            if (versions is [var advanced] && advanced > openedAt) break;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"the views of prod stayed at [{string.Join(", ", versions)}], opened at {openedAt}");
        }
        foreach (var device in lab)
            await AskAsync<DeviceEventsRecorded>(twins, new RecordDeviceEvents(device, DeviceReports.SuccessfulUpdate("acme-2", device), DateTimeOffset.UtcNow));
        var passed = await UntilAsync(waves, "wave-1", w => w.Stages[0].Status == StageStatus.Passed);
        Assert.Equal(4, passed.Stages[0].Tally!.Succeeded);

        // Stage 1: half of the field group with a 10 % failure gate; one failure trips it and pauses the wave.
        await AskAsync<WaveAccepted>(waves, new RolloutWave("wave-1", new StageSelection(Group: "field", Percent: 50), new StageGates(FailurePercent: 10)));
        await UntilAsync(waves, "wave-1", w => w.Stages.Count == 2 && w.Stages[1].Released == 3);
        var picked = await PickedDevicesAsync(host, field);
        Assert.Equal(3, picked.Count);
        await AskAsync<DeviceEventsRecorded>(twins, new RecordDeviceEvents(picked[0], FailedUpdate("acme-2", picked[0]), DateTimeOffset.UtcNow));
        var paused = await UntilAsync(waves, "wave-1", w => w.Status == WaveStatus.Paused);
        Assert.Equal(StageStatus.Tripped, paused.Stages[1].Status);
        Assert.Contains("1/1 (100%) of finished devices failed", paused.Stages[1].Reason);
        Assert.Equal(7, paused.Devices);

        // Resume accepts the stage; complete makes acme-2 production for prod and closes the wave's view.
        var resumed = (await AskAsync<WaveAccepted>(waves, new ResumeWave("wave-1"))).Wave;
        Assert.Equal(WaveStatus.Active, resumed.Status);
        Assert.Equal(StageStatus.Passed, resumed.Stages[1].Status);
        var completed = (await AskAsync<WaveAccepted>(waves, new CompleteWave("wave-1"))).Wave;
        Assert.Equal(WaveStatus.Completed, completed.Status);
        metadata = await AskAsync<RepositoryMetadata>(registry, GetRepositoryMetadata.Instance);
        var production = metadata.Views.Single(v => v.Tag == "prod" && v.View == TufRepository.ProductionView);
        Assert.Equal(["acme-1", "acme-2"], TestRepository.VerifiedTargets(_keys.Root, production).Targets.Keys.Order());
        Assert.DoesNotContain(metadata.Views, v => v.View == "wave-1");
        Assert.Equal("wave wave-1 is Completed", (await AskAsync<Refused>(waves, new PauseWave("wave-1"))).Reason);
        // Every device of the wave is back on the production view, which now holds acme-2.
        foreach (var device in lab.Concat(picked)) await UntilViewAsync(twins, device, null);
    }

    private static async Task UntilViewAsync(IActorRef twins, string device, string? view)
    {
        for (var deadline = DateTime.UtcNow + Wait; (await AskAsync<DeviceDetails>(twins, new GetDevice(device))).ServedView != (view ?? Tuf.Repository.TufRepository.ProductionView); await Task.Delay(50))
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{device} did not get view {view ?? "production"}");
    }

    /// <summary>The devices stage 1 picked, in release order.</summary>
    private static async Task<IReadOnlyList<string>> PickedDevicesAsync(IHost host, IReadOnlyList<string> field)
    {
        var waves = await host.Services.GetRequiredService<ActorRegistry>().GetAsync<WavesActor>();
        var devices = await AskAsync<WaveDevices>(waves, new GetWaveDevices("wave-1", 1));
        Assert.All(devices.DeviceIds, d => Assert.Contains(d, field));
        return devices.DeviceIds;
    }
}
