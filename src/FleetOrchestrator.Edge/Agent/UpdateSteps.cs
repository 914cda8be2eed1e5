using System.Text.Json;
using Docker.DotNet;
using FleetOrchestrator.Edge.Compose;
using FleetOrchestrator.Edge.Configuration;
using FleetOrchestrator.Edge.Registration;
using FleetOrchestrator.Edge.Fetch;
using FleetOrchestrator.Edge.Gateway;
using FleetOrchestrator.Edge.Install;
using FleetOrchestrator.Edge.Runtime;
using FleetOrchestrator.Oci;
using FleetOrchestrator.Protocol.DeviceApi;
using FleetOrchestrator.Tuf.Client;
using FleetOrchestrator.Tuf.Metadata;

namespace FleetOrchestrator.Edge.Agent;

/// <summary>
/// The targets the trusted metadata lists, read as candidates; <see cref="Skipped"/> names targets with malformed custom fields.
/// <see cref="Config"/> is the operator's config the gateway's <c>/config</c> answered (null: none, edge.conf applies), unless
/// <see cref="ConfigProblem"/> says why there was no answer (the last known config then stays).
/// </summary>
public sealed record TargetsChecked(IReadOnlyList<TargetCandidate> Candidates, IReadOnlyList<string> Skipped, DateTimeOffset At,
    DeviceConfig? Config = null, string? ConfigProblem = null);

/// <summary>
/// The I/O of one update step each, for the <see cref="DeviceAgentActor"/> to run and pipe back: TUF refresh through
/// the gateway, fetch, install, start, the health hold, confirm and rollback. Each step is safe to run again
/// after a crash part-way (the installer, the blob store and the runtime's start/stop are idempotent). Beside them, the
/// device certificate's renewal (<see cref="Certificates"/>), checked every cycle.
/// </summary>
public sealed class UpdateSteps(EdgeSettings settings, HttpClient gateway, OciRegistryClient registry, IAppRuntime runtime, TimeProvider time,
    CertificateRenewer certificates)
{
    public CertificateRenewer Certificates => certificates;

    private readonly BlobStore _store = new(settings.StoreRoot);
    private readonly AppInstaller _installer = new(settings.AppsRoot);

    public AppInstaller Installer => _installer;

    /// <summary>A <c>/config</c> answer is a tag and at most 64 app names: anything longer is refused unread.</summary>
    public const int MaxConfigBytes = 8 * 1024;

    /// <summary>
    /// The device's config from the gateway's <c>/config</c>, then a TUF refresh against its <c>/repo/</c> (which the gateway
    /// serves for the config's tag), both with the device certificate, then every top-level target as a candidate. When the
    /// tag to follow is no longer <paramref name="current"/>'s, the trusted timestamp, snapshot and targets are dropped first:
    /// each tag's repository counts its own versions, so the new tag's may be lower (the root, shared by all tags, stays).
    /// </summary>
    public async Task<TargetsChecked> CheckAsync(DeviceConfig current, CancellationToken ct)
    {
        var (config, configProblem) = await FetchConfigAsync(ct);
        if (configProblem is null && settings.Follow(config).Tag != current.Tag)
            foreach (var role in new[] { Role.Timestamp, Role.Snapshot, Role.Targets })
                new TrustedMetadataStore(settings.TufDirectory).Delete(role);
        var updater = new Updater(new UpdaterOptions
        {
            MetadataDir = settings.TufDirectory,
            MetadataBaseUrl = new Uri(settings.Gateway, "repo/"),
            Clock = time,
        }, gateway);
        await updater.RefreshAsync(ct);
        var targets = updater.TrustedTargets(Role.Targets)?.Signed.Targets ?? new Dictionary<string, TargetFile>();
        var candidates = new List<TargetCandidate>();
        var skipped = new List<string>();
        foreach (var (name, file) in targets)
        {
            if (TargetCandidate.FromTarget(name, file, out var problem) is { } candidate) candidates.Add(candidate);
            else skipped.Add($"{name}: {problem}");
        }
        return new TargetsChecked(candidates, skipped, time.GetUtcNow(), config, configProblem);
    }

    /// <summary>The gateway's answer, validated (204: no operator config); else the reason there is none to use.</summary>
    private async Task<(DeviceConfig? Config, string? Problem)> FetchConfigAsync(CancellationToken ct)
    {
        try
        {
            using var response = await gateway.GetAsync("config", HttpCompletionOption.ResponseHeadersRead, ct);
            if (response.StatusCode == System.Net.HttpStatusCode.NoContent) return (null, null);
            if (!response.IsSuccessStatusCode) return (null, await GatewayHttp.DescribeFailureAsync(response, ct));
            var body = await GatewayHttp.ReadBoundedAsync(response, MaxConfigBytes + 1, ct);
            if (body.Length > MaxConfigBytes) return (null, $"the answer is over {MaxConfigBytes} bytes");
            var config = JsonSerializer.Deserialize<DeviceConfig>(body, DeviceApiJson.Options);
            return config?.Problem is { } problem ? (null, problem) : config is null ? (null, "the answer is null") : (DeviceConfig.Of(config.Tag, config.Apps), null);
        }
        catch (Exception e) when (!ct.IsCancellationRequested) // no network, a timeout, a broken body: keep the last config
        {
            return (null, e.Message);
        }
    }

    /// <summary>Downloads and verifies one app into the store (blobs already there are not fetched again).</summary>
    /// <exception cref="AppFetchException">Transient ones are retried (see <see cref="AppFetcherActor"/>).</exception>
    public async Task FetchAppAsync(string uri, CancellationToken ct) =>
        await new AppFetcher(registry, _store, new AppFetcherOptions { StorageWatermark = settings.StorageWatermark }).FetchAsync(uri, ct);

    /// <summary>Extracts every app to install into place; the versions they replace are kept for a rollback.</summary>
    public async Task InstallAsync(UpdateInProgress update, CancellationToken ct)
    {
        var fetcher = new AppFetcher(registry, _store, new AppFetcherOptions { StorageWatermark = settings.StorageWatermark });
        foreach (var app in update.Install)
        {
            var fetched = await fetcher.FetchAsync(update.Target.Apps[app], ct); // from the store: no request
            await _installer.InstallAsync(app, fetched, ct);
        }
    }

    /// <summary>Starts every app of the target (compose <c>pull</c>, <c>up --remove-orphans -d</c>); the apps in <paramref name="replaced"/> (new files) are recreated.</summary>
    public async Task StartAsync(DeviceTarget target, IReadOnlyCollection<string> replaced, CancellationToken ct)
    {
        foreach (var app in target.Apps.Keys.Order(StringComparer.Ordinal))
        {
            await runtime.StartAsync(app, _installer.AppDirectory(app), recreate: replaced.Contains(app), ct);
            CrashPoints.Reach(CrashPoints.BetweenAppStarts);
        }
    }

    /// <summary>
    /// Null when every app of the target becomes running and healthy within the start timeout and stays so for the
    /// confirmation window; otherwise why not. A service that exited with an error fails at once.
    /// </summary>
    public async Task<string?> HoldHealthyAsync(DeviceTarget target, CancellationToken ct)
    {
        var started = time.GetUtcNow();
        DateTimeOffset? healthySince = null;
        while (true)
        {
            var statuses = await StatusesAsync(target, ct);
            var now = time.GetUtcNow();
            var failed = statuses.FirstOrDefault(s => s.Services.Any(x => x.State == "exited" && !x.Healthy));
            if (failed is not null) return $"app {failed}";
            if (statuses.All(s => s.Healthy))
            {
                healthySince ??= now;
                if (now - healthySince >= settings.ConfirmationWindow) return null;
            }
            else
            {
                if (healthySince is not null)
                    return $"not running and healthy through the confirmation window of {settings.ConfirmationWindow}: {string.Join("; ", statuses.Where(s => !s.Healthy))}";
                if (now - started >= settings.StartTimeout)
                    return $"not running and healthy within {settings.StartTimeout}: {string.Join("; ", statuses.Where(s => !s.Healthy))}";
            }
            await Task.Delay(settings.HealthCheckInterval, time, ct);
        }
    }

    /// <summary>
    /// The update is good: drop the kept versions, <c>down</c> and delete the removed apps, prune the images only they
    /// used. Returns notes on what could not be cleaned up (the update stands regardless).
    /// </summary>
    public async Task<string> ConfirmAsync(UpdateInProgress update, CancellationToken ct)
    {
        var notes = new List<string>();
        var oldImages = new List<string>();
        foreach (var app in update.Install)
        {
            if (_installer.KeptVersionDirectory(app) is { } kept) oldImages.AddRange(ImagesOf(app, kept, notes));
            _installer.Confirm(app);
        }
        foreach (var app in update.Remove)
        {
            try
            {
                if (_installer.IsInstalled(app)) oldImages.AddRange(ImagesOf(app, _installer.AppDirectory(app), notes));
                await runtime.StopAsync(app, _installer.AppDirectory(app), ct);
                _installer.Remove(app);
            }
            catch (Exception e) when (e is ComposeException or IOException or DockerApiException)
            {
                notes.Add($"removing {app}: {e.Message}");
            }
        }
        try
        {
            var used = update.Target.Apps.Keys.SelectMany(app => ImagesOf(app, _installer.AppDirectory(app), notes));
            await runtime.PruneAsync(oldImages, used.ToList(), ct);
        }
        catch (Exception e) when (e is IOException or DockerApiException)
        {
            notes.Add($"pruning images: {e.Message}");
        }
        return string.Join("; ", notes);
    }

    /// <summary>
    /// Back to <paramref name="update"/>'s previous apps: <c>down</c> and roll back every app it installed, then
    /// <c>up</c> the previous target's apps. Null when that worked; otherwise why not. Safe to run again.
    /// </summary>
    public async Task<string?> RollBackAsync(UpdateInProgress update, CancellationToken ct)
    {
        var problems = new List<string>();
        foreach (var app in update.Install)
        {
            try
            {
                await runtime.StopAsync(app, _installer.AppDirectory(app), ct);
                _installer.RollBack(app);
                CrashPoints.Reach(CrashPoints.DuringRollback);
            }
            catch (Exception e) when (e is ComposeException or IOException or DockerApiException)
            {
                problems.Add($"{app}: {e.Message}");
            }
        }
        if (update.Previous is { } previous)
        {
            try
            {
                await StartAsync(previous, update.Install, ct);
            }
            catch (Exception e) when (e is ComposeException or IOException or DockerApiException or FleetOrchestrator.ComposeApps.Compose.ComposeFileException)
            {
                problems.Add($"starting {previous.Name}: {e.Message}");
            }
        }
        return problems.Count == 0 ? null : string.Join("; ", problems);
    }

    /// <summary>Each app of <paramref name="target"/> as the engine shows it now, for the gateway's <c>/apps-states</c>.</summary>
    public async Task<AppsStatesReport> ReadStatesAsync(DeviceTarget? target, CancellationToken ct)
    {
        var apps = new SortedDictionary<string, AppStateReport>(StringComparer.Ordinal);
        if (target is not null)
        {
            foreach (var status in await StatusesAsync(target, ct))
            {
                var state = status.Healthy ? AppStates.Healthy
                    : status.Services.Any(s => s.Detail.StartsWith("healthcheck starting", StringComparison.Ordinal)) ? AppStates.Starting
                    : status.Running ? AppStates.Unhealthy
                    : AppStates.Stopped;
                apps[status.Project] = new AppStateReport(target.Apps[status.Project], state,
                    status.Services.ToDictionary(s => s.Service, s => s.Detail.Length == 0 ? "ok" : Bounded(s.Detail), StringComparer.Ordinal));
            }
        }
        return new AppsStatesReport(time.GetUtcNow(), target?.Name, apps);
    }

    /// <summary>What the device reports to <c>PUT /system_info</c>: agent, OS, architecture, engine and compose command.</summary>
    public async Task<SystemInfoReport> SystemInfoAsync(CancellationToken ct)
    {
        var agentVersion = typeof(UpdateSteps).Assembly.GetName().Version?.ToString() ?? "unknown";
        return new SystemInfoReport(agentVersion, Bounded(System.Runtime.InteropServices.RuntimeInformation.OSDescription),
            System.Runtime.InteropServices.RuntimeInformation.OSArchitecture.ToString().ToLowerInvariant(), await runtime.EngineVersionAsync(ct), runtime.Description);
    }

    /// <summary>Report texts are bounded by the gateway (256 characters).</summary>
    private static string Bounded(string text) => text.Length <= 256 ? text : text[..253] + "...";

    private async Task<List<AppStatus>> StatusesAsync(DeviceTarget target, CancellationToken ct)
    {
        var statuses = new List<AppStatus>();
        foreach (var app in target.Apps.Keys.Order(StringComparer.Ordinal))
        {
            statuses.Add(_installer.IsInstalled(app)
                ? await runtime.StatusAsync(app, _installer.AppDirectory(app), ct)
                : new AppStatus(app, [new ServiceStatus("*", null, null, false, false, "app folder missing")]));
        }
        return statuses;
    }

    private IEnumerable<string> ImagesOf(string app, string directory, List<string> notes)
    {
        try
        {
            return runtime.ImagesOf(app, directory);
        }
        catch (Exception e) when (e is IOException or FleetOrchestrator.ComposeApps.Compose.ComposeFileException)
        {
            notes.Add($"reading the images of {app}: {e.Message}");
            return [];
        }
    }
}
