using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.RegularExpressions;
using FleetOrchestrator.ControlPlane.Devices;
using FleetOrchestrator.Protocol.DeviceApi;
using FleetOrchestrator.Tuf.Repository;

namespace FleetOrchestrator.Node.Gateway;

/// <summary>
/// What the gateway serves each device: the files of its tag's repository view, from the <see cref="MetadataCache"/>, and
/// the config an operator set for it. Its view and config are what its twin said when the device was first seen here,
/// then every change the twins publish (<see cref="ServedDevicesActor"/>). A request reads them without locks and
/// without touching the actor system.
/// </summary>
public sealed partial class ServedDevices(MetadataCache metadata)
{
    /// <summary>A device's view and the operator's config (null: none, it follows its registration) with its JSON, made once per change.</summary>
    private sealed record Served(string View, DeviceConfig? Config, CachedFile? ConfigFile)
    {
        public static Served Of(string view, DeviceConfig? config) =>
            new(view, config, config is null ? null : CachedFile.Of(JsonSerializer.SerializeToUtf8Bytes(config, DeviceApiJson.Options)));
    }

    private readonly ConcurrentDictionary<string, Served> _served = new(StringComparer.Ordinal);

    /// <summary>Whether the target registry's metadata has arrived since the gateway started.</summary>
    public bool IsLoaded => metadata.IsLoaded;

    /// <summary>What the twin said when the device was first seen; a change heard before it is newer and stays.</summary>
    public void FirstSeen(string device, string view, DeviceConfig? config) => _served.TryAdd(device, Served.Of(view, config));

    /// <summary>A twin's new view (a wave took the device in or gave it back) or config (an operator changed its group, tag or apps).</summary>
    public void Changed(DeviceViewChanged change) => _served[change.DeviceId] = Served.Of(change.View ?? TufRepository.ProductionView, change.Config);

    /// <summary>The tag whose repository the device is served: the operator's config's, else its registration's.</summary>
    public string Tag(GatewayDevice device) => TagOf(device, Of(device));

    /// <summary>The operator's config for the device as JSON with its ETag; null when there is none (it follows its own edge.conf).</summary>
    public CachedFile? ConfigFile(GatewayDevice device) => Of(device).ConfigFile;

    /// <summary>
    /// A file of the standard TUF HTTP layout (<c>N.root.json</c>, shared by every view, or a file of the device's view), or
    /// null. When the device's view is gone — a wave just ended and its move back is still on its way — production is
    /// served: it was signed above the ended view's version then, so the device's TUF client takes it. A tag with nothing
    /// published is served the one shared empty chain (its first publication is signed above it).
    /// </summary>
    public CachedFile? RepositoryFile(GatewayDevice device, string path)
    {
        var root = RootFilePattern().Match(path);
        if (root.Success) return int.TryParse(root.Groups[1].Value, out var version) ? metadata.Root(version) : null;
        var served = Of(device);
        var tag = TagOf(device, served);
        if (!metadata.HasView(tag, TufRepository.ProductionView)) return metadata.UnpublishedFile(path);
        return metadata.File(tag, metadata.HasView(tag, served.View) ? served.View : TufRepository.ProductionView, path);
    }

    /// <summary>Whether the device's tag has nothing published and the empty chain it is then served is not signed yet.</summary>
    public bool AwaitsUnpublishedChain(GatewayDevice device) =>
        !metadata.HasUnpublished && !metadata.HasView(Tag(device), TufRepository.ProductionView);

    /// <summary>Every authenticated device was first seen (<see cref="DeviceAuthentication"/>) before it is served.</summary>
    private Served Of(GatewayDevice device) => _served[device.Name];

    private static string TagOf(GatewayDevice device, Served served) => served.Config?.Tag ?? device.Registration.Tag;

    [GeneratedRegex("^([1-9][0-9]{0,8})\\.root\\.json$")]
    private static partial Regex RootFilePattern();
}
