using System.Globalization;
using Akka.Actor;
using FleetOrchestrator.CommandProtocol;
using FleetOrchestrator.ControlPlane.Fleet;
using FleetOrchestrator.ControlPlane.Groups;

namespace FleetOrchestrator.CommandHost.Palettes;

/// <summary>The <c>groups</c> palette, backed by the <see cref="DeviceGroupsActor"/> singleton; device counts from the fleet table.</summary>
public sealed class GroupsPaletteActor(IActorRef groups, FleetTable fleet, TimeSpan askTimeout) : PaletteActor(PaletteCatalog.Groups)
{
    public static readonly IReadOnlyList<string> ListColumns = ["group", "description", "tag", "apps", "devices", "created"];

    /// <summary>Twins answering one by one may take longer than a plain ask: the groups actor bounds each twin's answer.</summary>
    private TimeSpan ChangeTimeout => askTimeout + TimeSpan.FromMinutes(5);

    protected override void Execute(CommandInvocation invocation, CommandOutput output)
    {
        var group = invocation.Argument("group") ?? "";
        switch (invocation.Command.Name)
        {
            case "create": Change(output, new CreateGroup(group, invocation.String("description"))); return;
            case "delete": Change(output, new DeleteGroup(group)); return;
            case "add": ChangeMembers(output, new AddToGroup(group, invocation.All("device"))); return;
            case "remove": ChangeMembers(output, new RemoveFromGroup(group, invocation.All("device"))); return;
            case "config": ChangeMembers(output, new ConfigureGroup(group, DeviceConfigSwitches.Parse(invocation))); return;
            case "list":
                Run(output, async () =>
                {
                    var list = await groups.Ask<GroupList>(ListGroups.Instance, askTimeout);
                    var rows = new List<IReadOnlyList<string?>>();
                    foreach (var g in list.Groups)
                    {
                        var devices = await fleet.CountAsync(new FleetQuery(Group: g.Name));
                        rows.Add([g.Name, g.Description, g.Config?.Tag, g.Config?.AppsText, devices.ToString(CultureInfo.InvariantCulture),
                            g.CreatedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture)]);
                    }
                    output.Table(ListColumns, rows);
                    output.Line($"{rows.Count} groups");
                });
                return;
            default:
                NotImplemented(invocation, output);
                return;
        }
    }

    private void Change(CommandOutput output, object command) => Run(output, async () =>
        output.Line((await AskAccepted<GroupAccepted>(groups, command, ChangeTimeout)).Message));

    /// <summary>
    /// Adds, removes or configures members: one line of counts, and the refused devices named (a refusal by a twin after
    /// the fleet-table check: a race, or a twin not answering).
    /// </summary>
    private void ChangeMembers(CommandOutput output, object command) => Run(output, async () =>
    {
        var changed = await AskAccepted<GroupMembersChanged>(groups, command, ChangeTimeout);
        if (command is ConfigureGroup configure) output.Line($"group {configure.Group} follows {configure.Config}");
        var verb = command is AddToGroup ? "added to" : "removed from";
        var done = changed.Devices.Count(d => d.Changed);
        var already = changed.Devices.Count(d => !d.Changed && d.Refusal is null);
        var refused = changed.Devices.Where(d => d.Refusal is not null).ToList();
        var what = command is ConfigureGroup ? $"{done} devices of group {changed.Group} changed" : $"{done} devices {verb} group {changed.Group}";
        output.Line(what + (already > 0 ? $", {already} already were" : "") + (refused.Count > 0 ? $", {refused.Count} refused" : ""));
        if (refused.Count > 0)
            throw new CommandFailedException(ErrorCodes.Failed, string.Join("; ", refused.Take(10).Select(d => $"{d.DeviceId}: {d.Refusal}")));
    });
}
