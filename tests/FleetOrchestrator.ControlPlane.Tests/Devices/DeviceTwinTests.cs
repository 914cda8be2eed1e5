using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Hosting;
using FleetOrchestrator.ControlPlane.Devices;
using FleetOrchestrator.ControlPlane.Hosting;
using FleetOrchestrator.ControlPlane.Targets;
using FleetOrchestrator.TestSupport;
using FleetOrchestrator.Tuf.Repository;

namespace FleetOrchestrator.ControlPlane.Tests.Devices;

public class DeviceTwinStateTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void First_registration_is_accepted_and_a_second_refused()
    {
        var state = DeviceTwinState.Empty("device-1");
        var (registered, refusal) = state.Decide(new RegisterDevice("device-1", "rpi4", "main", "ab"), Now);
        Assert.Null(refusal);
        state = state.Apply(registered!);

        var (again, reason) = state.Decide(new RegisterDevice("device-1", "rpi4", "main", "cd"), Now.AddMinutes(1));

        Assert.Null(again);
        Assert.Equal("a device named \"device-1\" is already registered (since 2026-11-01 12:00:00Z)", reason);
        Assert.Equal(new DeviceRegistration("rpi4", "main", "ab", Now), state.Registration);
    }

    [Fact]
    public void Last_seen_never_moves_back()
    {
        var state = DeviceTwinState.Empty("device-1").Seen(Now).Seen(Now.AddMinutes(-5));
        Assert.Equal(Now, state.LastSeen);
        Assert.Equal(Now.AddMinutes(1), state.Seen(Now.AddMinutes(1)).LastSeen);
    }

    [Fact]
    public void A_command_for_another_device_is_refused() =>
        Assert.Contains("reached the twin of", DeviceTwinState.Empty("device-1").Decide(new RegisterDevice("device-2", "x", "main", "ab"), Now).Refusal);
}

public sealed class DeviceTwinActorTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);
    private readonly TempDirectory _data = new();
    private readonly TestRepository _keys = new();

    public void Dispose() => _data.Dispose();

    private Task<ControlPlaneTestHost> StartAsync(TimeSpan idleAfter) =>
        ControlPlaneTestHost.StartAsync(_data.Combine("journal.db"),
            new TargetRegistrySettings("acme", _keys.Root, _keys.Signers, new RepositoryOptions(), TimeSpan.FromMinutes(10)),
            twins: new DeviceTwinSettings(Shards: 10, IdleAfter: idleAfter));

    [Fact]
    public async Task Registration_survives_a_restart_and_duplicates_are_refused_across_it()
    {
        await using (var first = await StartAsync(TimeSpan.FromMinutes(2)))
        {
            var twins = await first.Registry.GetAsync<DeviceTwinActor>();
            Assert.Equal(new DeviceRegistered("device-1"), await twins.Ask<DeviceRegistered>(new RegisterDevice("device-1", "rpi4", "main", "ab"), Wait));
            twins.Tell(new DeviceSeen("device-1", DateTimeOffset.UtcNow));
            Assert.NotNull((await twins.Ask<DeviceView>(new GetDevice("device-1"), Wait)).LastSeen);
        }

        await using var second = await StartAsync(TimeSpan.FromMinutes(2));
        var restarted = await second.Registry.GetAsync<DeviceTwinActor>();
        var view = await restarted.Ask<DeviceView>(new GetDevice("device-1"), Wait);
        var refused = await restarted.Ask<DeviceRegistrationRefused>(new RegisterDevice("device-1", "rpi4", "main", "cd"), Wait);

        Assert.Equal(("rpi4", "main", "ab"), (view.Registration!.HardwareId, view.Registration.Tag, view.Registration.CertificateSha256));
        Assert.Null(view.LastSeen); // last seen is not persisted: check-ins write nothing
        Assert.Contains("already registered", refused.Reason);
        Assert.Null((await restarted.Ask<DeviceView>(new GetDevice("device-9"), Wait)).Registration);
    }

    [Fact]
    public async Task Idle_twins_are_passivated_and_come_back_with_their_registration()
    {
        // Long enough idle time that the twin is still live when first counted on a loaded machine.
        await using var host = await StartAsync(TimeSpan.FromSeconds(4));
        var twins = await host.Registry.GetAsync<DeviceTwinActor>();
        await twins.Ask<DeviceRegistered>(new RegisterDevice("device-1", "rpi4", "main", "ab"), Wait);
        Assert.Equal(1, await LiveTwinsAsync(twins));

        var deadline = DateTime.UtcNow + Wait + Wait;
        while (await LiveTwinsAsync(twins) > 0 && DateTime.UtcNow < deadline) await Task.Delay(250);

        Assert.Equal(0, await LiveTwinsAsync(twins));
        Assert.Equal("rpi4", (await twins.Ask<DeviceView>(new GetDevice("device-1"), Wait)).Registration!.HardwareId);
    }

    /// <summary>Entities alive in the region; the query is asked again when a busy region does not answer in time.</summary>
    private static async Task<int> LiveTwinsAsync(IActorRef region)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return (await region.Ask<CurrentShardRegionState>(GetShardRegionState.Instance, TimeSpan.FromSeconds(5))).Shards.Sum(s => s.EntityIds.Count);
            }
            catch (AskTimeoutException) when (attempt < 4) { }
        }
    }
}
