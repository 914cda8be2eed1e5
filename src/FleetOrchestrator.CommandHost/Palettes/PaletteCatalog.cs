using FleetOrchestrator.CommandProtocol;
using FleetOrchestrator.Publishing;
using static FleetOrchestrator.CommandProtocol.OperatorRole;

namespace FleetOrchestrator.CommandHost.Palettes;

/// <summary>
/// Every palette the host offers, as data: what clients download on connect and what requests are parsed
/// against. Each palette has one handler actor (see <see cref="CommandHostActor"/>).
/// </summary>
public static class PaletteCatalog
{
    private static CommandDefinition Command(string name, string help, OperatorRole role, ArgumentDefinition[]? arguments = null, SwitchDefinition[]? switches = null) =>
        new(name, help, role, arguments ?? [], switches ?? []);

    private static ArgumentDefinition Arg(string name, string help, bool required = true) => new(name, help, required);

    private static SwitchDefinition Switch(string name, string help, SwitchType type = SwitchType.String, bool required = false, bool repeatable = false, bool secret = false) =>
        new(name, type, help, required, repeatable, secret);

    public static PaletteDefinition Cluster { get; } = new("cluster", "cluster membership of the control plane",
    [
        Command("show", "every member: address, status, roles, reachability", Viewer),
        Command("status", "this node's member status, member counts, unreachable members and the leader", Viewer),
        Command("leader", "the leader's address", Viewer),
        Command("join", "joins this node to the cluster at <address> (akka.ssl.tcp://fleet@host:port)", Admin, [Arg("address", "a member's address")]),
        Command("leave", "makes a member leave gracefully (default: this node)", Admin, [Arg("address", "the member's address", required: false)]),
        Command("down", "marks an unreachable member down", Admin, [Arg("address", "the member's address")]),
    ]);

    public static PaletteDefinition Sharding { get; } = new("cluster-sharding", "shard regions of this node",
    [
        Command("regions", "shard region types with this node's shard and entity counts", Viewer),
        Command("region-stats", "shards and entities per member for each region type", Viewer,
            switches: [Switch("type", "one region type (default: all)")]),
    ]);

    public static PaletteDefinition Actor { get; } = new("actor", "this node's actors",
    [
        Command("hierarchy", "the actor tree under /user (and /system with --system)", Viewer, switches:
        [
            Switch("depth", "levels below the root to show (1..10, default 4)", SwitchType.Integer),
            Switch("system", "include /system (sharding, singletons, persistence)", SwitchType.Flag),
        ]),
    ]);

    public static PaletteDefinition Apps { get; } = new("apps", "compose apps: publishing and the published apps",
    [
        Command("publish", "builds and publishes a containers.git revision, streaming each build and push; ends with the new target", Operator, switches:
        [
            Switch("repo", "checkout path or git URL reachable from the publisher node", required: true),
            Switch("ref", "git ref (default HEAD)"),
            Switch("tag", $"target tag (default {PublishRequest.DefaultTag})"),
            Switch("hardware-id", $"hardware id (repeatable; default {PublishRequest.DefaultHardwareId})", repeatable: true),
            Switch("version", "target version (default: the number of commits on the ref)", SwitchType.Integer),
        ]),
        Command("list", "every app with its latest published version per tag", Viewer, switches: [Switch("tag", "only this tag")]),
        Command("show", "every published version of an app and its URI", Viewer, [Arg("app", "app name")]),
    ]);

    public static PaletteDefinition Targets { get; } = new("targets", "TUF targets of the factory (production views)",
    [
        Command("list", "targets with version, tags, hardware ids and apps", Viewer, switches: [Switch("tag", "only this tag")]),
        Command("show", "one target: hashes, custom fields and its apps", Viewer, [Arg("version", "target version or name")]),
        Command("tag", "adds tags to a target", Operator, [Arg("version", "target version")], [Switch("tag", "tag to add", required: true, repeatable: true)]),
        Command("prune", "removes targets from a tag", Operator, [Arg("version", "target version")], [Switch("tag", "tag to remove it from", required: true)]),
    ]);

    private const string AppsHelp = "apps of the target to run: all, none, or a comma-separated list";

    public static PaletteDefinition Devices { get; } = new("devices", "devices: the fleet table and each device's twin",
    [
        Command("list", "devices in id order, from the fleet table", Viewer, switches:
        [
            Switch("tag", "only this tag"),
            Switch("group", "only this group"),
            Switch("target", "only devices on this target"),
            Switch("status", $"only this status ({string.Join(", ", ControlPlane.Devices.DeviceStatuses.All.Order())})"),
            Switch("offline", "only devices not seen for longer than the host's offline-after", SwitchType.Flag),
            Switch("limit", $"rows to show (1..{ControlPlane.Fleet.FleetQuery.MaxLimit}, default 100)", SwitchType.Integer),
            Switch("after", "start after this device id (next page)"),
        ]),
        Command("show", "a device's registration, target, status, app health and system info", Viewer, [Arg("device", "device name")]),
        Command("updates", "a device's update attempts, or the events of one attempt", Viewer,
            [Arg("device", "device name"), Arg("correlation", "correlation id of one attempt", required: false)]),
        Command("apps-states", "the app states a device last reported", Viewer, [Arg("device", "device name")]),
        Command("config", "sets a device's own tag and app selection (over its group's)", Operator, [Arg("device", "device name")],
            [Switch("tag", "tag to follow"), Switch("apps", AppsHelp), Switch("clear", "drop the device's own config: follow its group's again", SwitchType.Flag)]),
        Command("revoke", "revokes a device: every gateway refuses its certificate and name (403 device-revoked); its name cannot register again", Operator,
            [Arg("device", "device name")], [Switch("reason", "why (shown by devices show and list)", required: true)]),
        Command("delete", "revokes a device and removes it from the fleet table, its group and its waves; its name stays reserved unless released", Admin,
            [Arg("device", "device name")],
            [
                Switch("reason", "why, when the device is not revoked yet (default: deleted)"),
                Switch("release-name", "a new device may register with this name (the old certificate stays refused)", SwitchType.Flag),
            ]),
        Command("registration-token", "rotate: a new registration token, shown once; the old one is refused at once on every gateway", Admin,
            [Arg("action", "rotate")]),
    ]);

    public static PaletteDefinition Groups { get; } = new("groups", "device groups",
    [
        Command("create", "creates a group", Operator, [Arg("group", "group name")], [Switch("description", "what the group is for")]),
        Command("list", "groups with their device counts", Viewer),
        Command("delete", "deletes an empty group", Operator, [Arg("group", "group name")]),
        Command("add", "adds devices to a group", Operator, [Arg("group", "group name")], [Switch("device", "device name", required: true, repeatable: true)]),
        Command("remove", "removes devices from a group", Operator, [Arg("group", "group name")], [Switch("device", "device name", required: true, repeatable: true)]),
        Command("config", "sets the tag and app selection of a group's devices", Operator, [Arg("group", "group name")],
            [Switch("tag", "tag to follow", required: true), Switch("apps", AppsHelp, required: true)]),
    ]);

    public static PaletteDefinition Waves { get; } = new("waves", "staged rollouts of a target to a tag",
    [
        Command("init", "creates a wave of a target for a tag", Operator,
            [Arg("wave", "wave name"), Arg("version", "target version"), Arg("tag", "tag the wave rolls out to")]),
        Command("rollout", "adds devices to a wave (a stage)", Operator, [Arg("wave", "wave name")],
        [
            Switch("group", "pick devices of this group"),
            Switch("limit", "at most N devices or N% of the remaining matching devices"),
            Switch("devices", "comma-separated device names"),
            Switch("success", "percent of the stage's devices that must succeed (default 100)"),
            Switch("failure", "percent of finished devices that may fail before the wave pauses (default 10)"),
            Switch("failure-count", "failed devices that pause the wave, whatever the percentage", SwitchType.Integer),
            Switch("min-sample", "finished devices before the failure percentage is judged (default 1)", SwitchType.Integer),
            Switch("bake", "how long success must hold before the next stage (e.g. 30m)", SwitchType.Duration),
            Switch("timeout", "after this, devices that never reported count as failed (e.g. 2h)", SwitchType.Duration),
            Switch("approval", "wait for 'waves resume' before the next stage", SwitchType.Flag),
            Switch("ramp", "devices handed the target per minute"),
        ]),
        Command("status", "progress of a wave (default: the active ones)", Viewer, [Arg("wave", "wave name", required: false)],
            [Switch("watch", "keep printing progress until the wave ends", SwitchType.Flag)]),
        Command("pause", "pauses a wave", Operator, [Arg("wave", "wave name")]),
        Command("resume", "accepts the current stage and continues", Operator, [Arg("wave", "wave name")]),
        Command("abort", "stops a wave", Operator, [Arg("wave", "wave name")],
            [Switch("rollback", "move updated devices back to the production target", SwitchType.Flag)]),
        Command("complete", "makes the wave's target production for its tag", Operator, [Arg("wave", "wave name")]),
        Command("cancel", "ends a wave, leaving devices where they are", Operator, [Arg("wave", "wave name")]),
        Command("list", "waves", Viewer),
        Command("show", "a wave's stages and gates", Viewer, [Arg("wave", "wave name")]),
    ]);

    /// <summary>Switches naming key files: pbm reads (or creates) them on the client and never sends them; the host refuses them.</summary>
    public static readonly IReadOnlyList<string> KeyFileSwitches = ["key", "new-key"];

    private const string ClientSide = "read by pbm on the client, never sent";

    public static PaletteDefinition Keys { get; } = new("keys", "TUF keys: root rotation, online key rotation and offline signing (offline keys stay on the client)",
    [
        Command("rotate-root", "root N+1 with a new root key, signed locally by pbm with the current and the new key (without --new-key: the same key, a renewal; " +
            "without either switch: the node rotates the root key it holds, embedded mode only)", Admin, switches:
        [
            Switch("key", $"current root key file ({ClientSide})"),
            Switch("new-key", $"new root key file, created (0600) when it does not exist ({ClientSide})"),
        ]),
        Command("rotate-online", "replaces an online key with one the node generates; root N+1 is signed by the node, or by pbm with --key when root is offline", Admin,
            [Arg("role", "snapshot, timestamp or targets")], [Switch("key", $"root key file when root is offline ({ClientSide})")]),
        Command("sign-wave", "signs the pending targets of a wave's tag with the offline targets key", Admin, [Arg("wave", "wave name")],
            [Switch("key", $"offline targets key file ({ClientSide})")]),
        Command("sign-targets", "signs the pending targets of a tag with the offline targets key", Admin, [Arg("tag", "tag")],
            [Switch("key", $"offline targets key file ({ClientSide})")]),
        Command("pending", "requests waiting for offline signatures", Viewer,
            switches: [Switch("payloads", "also print each request with its payload to sign (JSON)", SwitchType.Flag)]),
        Command("prepare-root", "prepares root N+1 with these public root keys and answers its payload to sign (what pbm keys rotate-root sends)", Admin,
            switches: [Switch("root-key", "a public key object (JSON) of the new root; none: the current root keys", repeatable: true, secret: true)]),
        Command("submit", "adds offline signatures to a pending request (what pbm sends after signing locally)", Admin, [Arg("request", "request id")],
            [Switch("signature", "<keyid>:<hex signature>", required: true, repeatable: true, secret: true)]),
    ]);

    // Viewer: entries hold no secret (key material and signatures are elided), and reading the journal is not audited.
    public static PaletteDefinition Audit { get; } = new("audit", "the operator audit journal: every state-changing command, who ran it, and its outcome",
    [
        Command("list", "audit entries, newest first", Viewer, switches:
        [
            Switch("since", "only entries from this time on: ISO-8601 (2026-05-01T12:00:00Z) or a duration back from now (30m, 2h, 7d)"),
            Switch("operator", "only this operator (token name)"),
            Switch("palette", "only commands of this palette"),
            Switch("limit", $"entries to show (1..{ControlPlane.Audit.AuditQuery.MaxLimit}, default {ControlPlane.Audit.AuditQuery.DefaultLimit})", SwitchType.Integer),
            Switch("before", "only entries numbered below this one (the next page)", SwitchType.Integer),
        ]),
    ]);

    public static IReadOnlyList<PaletteDefinition> All { get; } = [Cluster, Sharding, Actor, Apps, Targets, Devices, Groups, Waves, Keys, Audit];
}
