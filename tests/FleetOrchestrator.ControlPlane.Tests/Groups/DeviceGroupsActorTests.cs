using Akka.Actor;
using Akka.Hosting;
using FleetOrchestrator.ControlPlane.Devices;
using FleetOrchestrator.ControlPlane.Fleet;
using FleetOrchestrator.ControlPlane.Groups;
using FleetOrchestrator.ControlPlane.Hosting;
using FleetOrchestrator.ControlPlane.Publishing;
using FleetOrchestrator.ControlPlane.Targets;
using FleetOrchestrator.Protocol.Decisions;
using FleetOrchestrator.Protocol.DeviceApi;
using FleetOrchestrator.TestSupport;
using FleetOrchestrator.Tuf.Repository;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace FleetOrchestrator.ControlPlane.Tests.Groups;

/// <summary>The groups singleton on an embedded node: real twins, projection and SQLite fleet table, and a restart.</summary>
public sealed class DeviceGroupsActorTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private static readonly DeviceConfig Prod = DeviceConfig.Of("prod", ["web"]);
    private readonly TempDirectory _data = new();
    private readonly TestRepository _keys = new();

    public void Dispose() => _data.Dispose();

    private FleetTable Table => new(PersistenceSettings.SqliteFile(_data.Combine("journal.db")));

    private async Task<IHost> StartAsync()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddAkka(ControlPlaneSettings.SystemName, akka => akka.WithFleetControlPlane(TestSettings.ControlPlane(
            PersistenceSettings.SqliteFile(_data.Combine("journal.db")), TestSettings.Registry(_keys), projection: TestSettings.Projection(TimeSpan.FromMilliseconds(50)))));
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    private static async Task<T> AskAsync<T>(IActorRef actor, object message) => await actor.Ask<T>(message, Wait);

    private async Task UntilAsync(Func<Task<bool>> condition, string what)
    {
        for (var deadline = DateTime.UtcNow + Wait; !await condition(); await Task.Delay(100))
            if (DateTime.UtcNow > deadline) throw new TimeoutException(what);
    }

    private Task UntilGroupHasAsync(string group, int devices) =>
        UntilAsync(async () => await Table.CountAsync(new FleetQuery(Group: group)) == devices, $"the fleet table did not list {devices} devices in group {group}");

    private static Task<DeviceDetails> TwinAsync(IActorRef twins, string device) => AskAsync<DeviceDetails>(twins, new GetDevice(device));

    [Fact]
    public async Task Groups_are_created_filled_configured_emptied_and_deleted_and_survive_a_restart()
    {
        var host = await StartAsync();
        var actors = host.Services.GetRequiredService<ActorRegistry>();
        var twins = await actors.GetAsync<DeviceTwinActor>();
        var groups = await actors.GetAsync<DeviceGroupsActor>();
        await AskAsync<DeviceRegistered>(twins, new RegisterDevice("d1", "generic", "main", "fp-1", "lab"));
        await AskAsync<DeviceRegistered>(twins, new RegisterDevice("d2", "generic", "main", "fp-2"));
        await AskAsync<DeviceRegistered>(twins, new RegisterDevice("d3", "generic", "main", "fp-3", Apps: ["web", "api"]));
        await UntilAsync(async () => await Table.CountAsync(new FleetQuery(Tag: "main")) == 3, "the fleet table did not list the devices");

        Assert.Equal("created group field", (await AskAsync<GroupAccepted>(groups, new CreateGroup("field", "devices at customers"))).Message);
        Assert.Equal("group field already exists", (await AskAsync<Refused>(groups, new CreateGroup("field", null))).Reason);
        // One device in another group, or unknown: the whole add is refused and nothing moves.
        Assert.Equal("device d1 is in group lab; a device belongs to one group: remove it from lab first; no device d9 is registered; nothing changed",
            (await AskAsync<Refused>(groups, new AddToGroup("field", ["d1", "d2", "d9"]))).Reason);
        Assert.Null((await TwinAsync(twins, "d2")).Group);

        var added = await AskAsync<GroupMembersChanged>(groups, new AddToGroup("field", ["d2", "d3"]));
        Assert.All(added.Devices, d => Assert.True(d.Changed, d.Refusal));
        await UntilGroupHasAsync("field", 2);

        var configured = await AskAsync<GroupMembersChanged>(groups, new ConfigureGroup("field", Prod));
        Assert.Equal(["d2", "d3"], configured.Devices.Where(d => d.Changed).Select(d => d.DeviceId).Order());
        Assert.Equal(Prod, (await TwinAsync(twins, "d3")).Config);
        // The fleet table follows the resulting tag (waves select by it).
        await UntilAsync(async () => await Table.CountAsync(new FleetQuery(Tag: "prod", Group: "field")) == 2, "the fleet table did not move the devices to tag prod");

        Assert.Equal("group field has 2 devices; remove them first (pbm groups remove field --device <device>)",
            (await AskAsync<Refused>(groups, new DeleteGroup("field"))).Reason);
        Assert.Equal("device d1 is not in group field (its group is lab); nothing changed",
            (await AskAsync<Refused>(groups, new RemoveFromGroup("field", ["d1"]))).Reason);
        var removed = await AskAsync<GroupMembersChanged>(groups, new RemoveFromGroup("field", ["d2", "d3"]));
        Assert.All(removed.Devices, d => Assert.True(d.Changed, d.Refusal));
        Assert.Equal(new DeviceConfig("main", ["web", "api"]), (await TwinAsync(twins, "d3")).Config);
        await UntilGroupHasAsync("field", 0);
        Assert.Equal("deleted group field", (await AskAsync<GroupAccepted>(groups, new DeleteGroup("field"))).Message);

        // A device registered into a group an operator configured gets that config.
        await AskAsync<GroupAccepted>(groups, new CreateGroup("lab", null));
        await AskAsync<GroupMembersChanged>(groups, new ConfigureGroup("lab", Prod));
        Assert.Equal(Prod, (await TwinAsync(twins, "d1")).Config);
        await AskAsync<DeviceRegistered>(twins, new RegisterDevice("d4", "generic", "main", "fp-4", "lab"));
        groups.Tell(new DeviceJoinedGroup("d4", "lab"));
        await UntilAsync(async () => Prod.Equals((await TwinAsync(twins, "d4")).Config), "d4 did not get the config of group lab");

        await host.StopAsync();
        host.Dispose();
        host = await StartAsync();
        actors = host.Services.GetRequiredService<ActorRegistry>();
        var list = await AskAsync<GroupList>(await actors.GetAsync<DeviceGroupsActor>(), ListGroups.Instance);
        Assert.Equal([("lab", (DeviceConfig?)Prod)], list.Groups.Select(g => (g.Name, g.Config)));
        Assert.Equal(("lab", Prod), ((await TwinAsync(await actors.GetAsync<DeviceTwinActor>(), "d4")).Group, (await TwinAsync(await actors.GetAsync<DeviceTwinActor>(), "d4")).Config));
        await host.StopAsync();
        host.Dispose();
    }
}
