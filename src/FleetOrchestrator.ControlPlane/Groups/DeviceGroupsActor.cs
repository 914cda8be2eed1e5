using System.Collections.Immutable;
using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using FleetOrchestrator.ControlPlane.Devices;
using FleetOrchestrator.ControlPlane.Fleet;
using FleetOrchestrator.Protocol.Decisions;
using FleetOrchestrator.Protocol.DeviceApi;
using FleetOrchestrator.Infrastructure.Persistence;

namespace FleetOrchestrator.ControlPlane.Groups;

/// <summary>The device groups singleton (HOCON <c>fleet.groups</c>).</summary>
/// <param name="SnapshotEvery">The singleton saves a snapshot after this many events.</param>
/// <param name="TwinAskTimeout">How long each twin may take to answer an add, remove or config.</param>
public sealed record DeviceGroupsSettings(int SnapshotEvery, TimeSpan TwinAskTimeout, TimeProvider? Time = null);

/// <summary>
/// The device groups of the factory, event-sourced (a cluster singleton, persistence id <c>device-groups</c>): names,
/// descriptions and configs. Membership is the twins' (each twin records its group, so the fleet table lists members
/// and waves select by group); this actor persists what <see cref="GroupsDecisions"/> decides and drives the twins.
/// One command at a time: while twins answer or the fleet table is read, later commands wait in the stash, so an
/// add is done before a config or delete that follows it starts.
/// </summary>
public sealed class DeviceGroupsActor : SnapshottingPersistentActor
{
    /// <summary>Twins asked at once, so a config of a large group does not flood the shard regions.</summary>
    private const int Parallelism = 64;
    private const int MaxProblemsShown = 10;

    private sealed record Answer(IActorRef ReplyTo, object Message);
    private sealed record Counted(DeleteGroup Command, IActorRef ReplyTo, long Devices);

    private readonly FleetTable _fleet;
    private readonly IActorRef _twins;
    private readonly DeviceGroupsSettings _settings;
    private readonly TimeProvider _time;
    private ImmutableDictionary<string, DeviceGroup> _groups = GroupsDecisions.Empty;

    public DeviceGroupsActor(FleetTable fleet, IActorRef twins, DeviceGroupsSettings settings)
    {
        _fleet = fleet;
        _twins = twins;
        _settings = settings;
        _time = settings.Time ?? TimeProvider.System;
        Recover<SnapshotOffer>(offer => _groups = ((DeviceGroupsSnapshot)offer.Snapshot).Groups.ToImmutableDictionary(g => g.Name, StringComparer.Ordinal));
        Recover<IGroupEvent>(e => _groups = GroupsDecisions.Apply(_groups, e));
        Ready();
    }

    public override string PersistenceId => "device-groups";

    public static Props PropsFor(FleetTable fleet, IActorRef twins, DeviceGroupsSettings settings) =>
        Props.Create(() => new DeviceGroupsActor(fleet, twins, settings));

    private void Ready()
    {
        Command<CreateGroup>(create =>
        {
            var decision = GroupsDecisions.Create(_groups, create, _time.GetUtcNow());
            if (Refuse(create.Group, decision.Refusal)) return;
            var replyTo = Sender;
            Persist(decision, () => replyTo.Tell(new GroupAccepted(_groups[create.Group], $"created group {create.Group}")));
        });
        Command<DeleteGroup>(delete =>
        {
            if (Refuse(delete.Group, GroupsDecisions.Delete(_groups, delete, devices: 0, _time.GetUtcNow()).Refusal)) return;
            var replyTo = Sender;
            var fleet = _fleet;
            Work(Count(), replyTo, delete.Group);

            async Task<object> Count() => new Counted(delete, replyTo, await fleet.CountAsync(new FleetQuery(Group: delete.Group)));
        });
        Command<AddToGroup>(add =>
        {
            if (Refuse(add.Group, GroupsDecisions.Add(_groups, add).Refusal)) return;
            Change(add.Group, add.Devices, GroupChange.Add, _groups[add.Group].Config);
        });
        Command<RemoveFromGroup>(remove =>
        {
            if (Refuse(remove.Group, GroupsDecisions.Remove(remove).Refusal)) return;
            Change(remove.Group, remove.Devices, GroupChange.Remove, null);
        });
        Command<ConfigureGroup>(configure =>
        {
            var decision = GroupsDecisions.Configure(_groups, configure, _time.GetUtcNow());
            if (Refuse(configure.Group, decision.Refusal)) return;
            var replyTo = Sender;
            // Persisted first: devices moved into the group from now on get the new config with the move.
            Persist(decision, () =>
            {
                var pages = _fleet.PagesAsync(new FleetQuery(Group: configure.Group));
                Work(Configure(), replyTo, configure.Group);

                async Task<object> Configure()
                {
                    var results = new List<GroupMemberResult>();
                    await foreach (var page in pages)
                        results.AddRange(await AskTwinsAsync(page.Select(row => new ChangeDeviceGroup(row.DeviceId, configure.Group, configure.Config, GroupChange.Configure))));
                    return new Answer(replyTo, new GroupMembersChanged(configure.Group, results));
                }
            });
        });
        Command<DeviceJoinedGroup>(joined =>
        {
            if (_groups.GetValueOrDefault(joined.Group)?.Config is { } config)
                _twins.Tell(new ChangeDeviceGroup(joined.DeviceId, joined.Group, config, GroupChange.Configure));
        });
        Command<ListGroups>(_ => Sender.Tell(new GroupList(_groups.Values.OrderBy(g => g.Name, StringComparer.Ordinal).ToList())));
        KeepOnlyLatestSnapshot("device groups");
    }

    /// <summary>Waits for the twins or the fleet table; every other command waits in the stash.</summary>
    private void Busy()
    {
        Command<Answer>(answer =>
        {
            Become(Ready);
            Stash.UnstashAll();
            answer.ReplyTo.Tell(answer.Message);
        });
        Command<Counted>(counted =>
        {
            Become(Ready);
            Stash.UnstashAll();
            var group = counted.Command.Group;
            var decision = GroupsDecisions.Delete(_groups, counted.Command, counted.Devices, _time.GetUtcNow());
            if (Refuse(group, decision.Refusal, counted.ReplyTo)) return;
            var deleted = _groups[group];
            Persist(decision, () => counted.ReplyTo.Tell(new GroupAccepted(deleted, $"deleted group {group}")));
        });
        CommandAny(_ => Stash.Stash());
    }

    /// <summary>
    /// Adds or removes devices: first checked against the fleet table, so a wrong device name or a device in another
    /// group refuses the whole command and nothing changes; then each twin, the authority on its group, decides.
    /// </summary>
    private void Change(string group, IReadOnlyList<string> devices, GroupChange change, DeviceConfig? config)
    {
        var replyTo = Sender;
        var fleet = _fleet;
        Work(Run(), replyTo, group);

        async Task<object> Run()
        {
            var problems = new List<string>();
            foreach (var device in devices)
            {
                var row = await fleet.GetAsync(device);
                if ((row is null ? $"no device {device} is registered" : DeviceTwinState.MembershipRefusal(device, row.Group, change, group)) is { } problem)
                    problems.Add(problem);
            }
            if (problems.Count > 0)
                return new Answer(replyTo, new Refused(group, string.Join("; ", problems.Take(MaxProblemsShown))
                    + (problems.Count > MaxProblemsShown ? $"; and {problems.Count - MaxProblemsShown} more" : "") + "; nothing changed"));
            return new Answer(replyTo, new GroupMembersChanged(group, await AskTwinsAsync(devices.Select(d => new ChangeDeviceGroup(d, group, config, change)))));
        }
    }

    /// <summary>Asks each twin (<see cref="Parallelism"/> at a time) and collects what each said.</summary>
    private Task<List<GroupMemberResult>> AskTwinsAsync(IEnumerable<ChangeDeviceGroup> commands)
    {
        var twins = _twins;
        var timeout = _settings.TwinAskTimeout;
        return Run();

        async Task<List<GroupMemberResult>> Run()
        {
            var results = new List<GroupMemberResult>();
            foreach (var chunk in commands.Chunk(Parallelism))
                results.AddRange(await Task.WhenAll(chunk.Select(async command =>
                {
                    try
                    {
                        return await twins.Ask<object>(command, timeout) switch
                        {
                            DeviceConfigured configured => new GroupMemberResult(command.DeviceId, configured.Changed, null),
                            Refused refused => new GroupMemberResult(command.DeviceId, false, refused.Reason),
                            var other => new GroupMemberResult(command.DeviceId, false, $"unexpected answer {other.GetType().Name}"),
                        };
                    }
                    catch (AskTimeoutException)
                    {
                        return new GroupMemberResult(command.DeviceId, false, $"its twin did not answer in {timeout.TotalSeconds:0} s");
                    }
                })));
            return results;
        }
    }

    /// <summary>Pipes the work's message back (a failure becomes a refusal) and waits for it.</summary>
    private void Work(Task<object> work, IActorRef replyTo, string group)
    {
        work.ContinueWith(t => t.IsCompletedSuccessfully ? t.Result
                : new Answer(replyTo, new Refused(group, $"failed: {t.Exception?.GetBaseException().Message ?? "cancelled"}")),
            TaskScheduler.Default).PipeTo(Self);
        Become(Busy);
    }

    private bool Refuse(string group, string? problem, IActorRef? replyTo = null)
    {
        if (problem is null) return false;
        (replyTo ?? Sender).Tell(new Refused(group, problem));
        return true;
    }

    /// <summary>Persists the events of an accepted decision, then runs <paramref name="then"/>.</summary>
    private void Persist(Decision<IGroupEvent> decision, Action then)
    {
        var remaining = decision.Events.Count;
        PersistAll(decision.Events, persisted =>
        {
            _groups = GroupsDecisions.Apply(_groups, persisted);
            if (LastSequenceNr % _settings.SnapshotEvery == 0) SaveSnapshot(new DeviceGroupsSnapshot(_groups.Values.ToList()));
            if (--remaining == 0) then();
        });
    }
}
