using FleetOrchestrator.ComposeApps.Compose;
using FleetOrchestrator.ComposeApps.Discovery;
using FleetOrchestrator.ComposeApps.Ignore;
using FleetOrchestrator.Oci;
using FleetOrchestrator.Protocol;

namespace FleetOrchestrator.Publishing;

/// <summary>What one publish produced.</summary>
public sealed record PublishResult(SourceRevision Revision, IReadOnlyList<BuiltContainer> Containers, IReadOnlyList<PublishedApp> Apps, PublishedTarget Target);

/// <summary>
/// A publish after its first stage: the exported revision, its containers and its apps with their compose
/// files checked and pin plans made. <see cref="Scratch"/> is the caller's to delete when the publish ends.
/// </summary>
public sealed record PreparedPublish(PublishRequest Request, string Scratch, SourceRevision Revision, IReadOnlyList<ContainerFolder> Containers, IReadOnlyList<PreparedApp> Apps)
{
    public long Version => Request.Version ?? Revision.CommitCount;
}

/// <summary>One app folder of a prepared publish: its compose file, ignore rules and image pin plan.</summary>
public sealed record PreparedApp(AppFolder Folder, ComposeFile Compose, IgnoreRules Ignore, IReadOnlyList<PinRequest> Plan);

/// <summary>
/// containers.git → built containers → pinned, bundled and pushed apps → the target to record.
/// Every compose file is checked before anything is built or pushed, so bad input fails fast; an error at
/// any step leaves no target. <see cref="RunAsync"/> runs the stages in order; the control plane's publisher
/// runs the same stages as supervised workers (one per container and per app).
/// </summary>
public sealed class PublishPipeline(IProgress<PublishProgress>? progress = null, TimeProvider? clock = null)
{
    public async Task<PublishResult> RunAsync(PublishRequest request, CancellationToken ct = default)
    {
        var scratch = Directory.CreateTempSubdirectory("fleet-publish-").FullName;
        try
        {
            var prepared = await PrepareAsync(request, scratch, ct);
            var containers = new List<BuiltContainer>();
            foreach (var container in prepared.Containers)
                containers.Add(await BuildContainerAsync(prepared, container, ct));
            using var client = RegistryClient(request);
            var digests = await ResolveImagesAsync(prepared, client, ct);
            var bundles = new List<AppBundle>();
            foreach (var app in prepared.Apps)
                bundles.Add(await BundleAppAsync(prepared, app, digests, client, ct));
            var published = new List<PublishedApp>();
            foreach (var bundle in bundles)
                published.Add(await PushAppAsync(prepared, bundle, client, ct));
            return new PublishResult(prepared.Revision, containers, published, CreateTarget(prepared, published));
        }
        finally
        {
            try { Directory.Delete(scratch, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>Stage 1: resolve the ref, export the tree into <paramref name="scratch"/>, find containers and apps, check every compose file.</summary>
    public Task<PreparedPublish> PrepareAsync(PublishRequest request, string scratch, CancellationToken ct) => Checked(async () =>
    {
        Validate(request);
        var repository = await GitSource.OpenAsync(request.Repository, scratch, ct);
        var revision = await GitSource.ResolveAsync(repository, request.Ref, ct);
        Report("source", request.Repository, $"{request.Ref} = {revision.CommitSha} ({revision.CommitCount} commits)");
        var tree = Path.Combine(scratch, "tree");
        await GitSource.ExportAsync(repository, revision.CommitSha, tree, ct);

        var layout = ContainersRepository.Scan(tree);
        var factoryImages = new FactoryImages(request.Registry, request.Factory, revision.ShortSha);
        var apps = new List<PreparedApp>();
        foreach (var app in layout.Apps) apps.Add(await LoadAppAsync(app, factoryImages, ct));
        Report("scan", request.Repository, $"{layout.Containers.Count} containers, {apps.Count} apps");
        return new PreparedPublish(request, scratch, revision, layout.Containers, apps);
    });

    /// <summary>Stage 2, per container: build with the engine and push as <c>:&lt;short sha&gt;</c> and <c>:latest</c>.</summary>
    public Task<BuiltContainer> BuildContainerAsync(PreparedPublish prepared, ContainerFolder container, CancellationToken ct) =>
        new ContainerBuilder(prepared.Request.Registry, prepared.Request.Factory, progress).BuildAndPushAsync(container, prepared.Revision.ShortSha, ct);

    /// <summary>The registry client every registry stage of one publish shares.</summary>
    public static OciRegistryClient RegistryClient(PublishRequest request) => new(new RegistryClientOptions
    {
        PlainHttp = request.PlainHttp,
        Mirrors = request.Mirrors ?? new Dictionary<string, string>(),
    });

    /// <summary>Stage 3: read every image's manifest (digest and platforms) and check each app's images share a platform.</summary>
    public Task<IReadOnlyDictionary<ImageReference, Digest>> ResolveImagesAsync(PreparedPublish prepared, OciRegistryClient client, CancellationToken ct) => Checked(async () =>
    {
        var resolved = await new ImageResolver(client, progress: progress)
            .ResolveAsync(prepared.Apps.SelectMany(a => a.Plan.Select(p => (a.Folder.Name, p))), ct);
        foreach (var app in prepared.Apps)
            Report("platforms", app.Folder.Name, string.Join(", ", ImageResolver.CommonPlatforms(app.Folder.Name, app.Plan, resolved)));
        return (IReadOnlyDictionary<ImageReference, Digest>)resolved.ToDictionary(r => r.Key, r => r.Value.Digest);
    });

    /// <summary>Stage 4, per app: pin the images and write the reproducible bundle into the scratch folder.</summary>
    public Task<AppBundle> BundleAppAsync(PreparedPublish prepared, PreparedApp app, IReadOnlyDictionary<ImageReference, Digest> digests, OciRegistryClient client, CancellationToken ct) =>
        Checked(() => Publisher(prepared, client).BundleAsync(app.Folder, app.Ignore, ImagePinning.Apply(app.Compose, app.Plan, digests), ct));

    /// <summary>Stage 5, per app (only once every app is bundled): push bundle, index, config and manifest.</summary>
    public Task<PublishedApp> PushAppAsync(PreparedPublish prepared, AppBundle bundle, OciRegistryClient client, CancellationToken ct) =>
        Publisher(prepared, client).PushAsync(bundle, prepared.Version, ct);

    /// <summary>Stage 6: the target file of the published apps.</summary>
    public PublishedTarget CreateTarget(PreparedPublish prepared, IReadOnlyList<PublishedApp> published)
    {
        var request = prepared.Request;
        var target = PublishedTarget.Create(request.Factory, prepared.Version, request.EffectiveHardwareIds, [request.Tag],
            published, prepared.Revision.CommitSha, (clock ?? TimeProvider.System).GetUtcNow());
        Report("target", target.Name, $"{published.Count} apps, {target.Length} bytes");
        return target;
    }

    /// <summary>Whether a stage failure may go away by itself (registry or engine unreachable), so the stage is worth retrying.</summary>
    public static bool IsTransient(Exception e) => e switch
    {
        OciRegistryUnavailableException or HttpRequestException or TimeoutException => true,
        PublishException { Transient: true } => true,
        AggregateException { InnerException: { } inner } => IsTransient(inner),
        _ => false,
    };

    private AppPublisher Publisher(PreparedPublish prepared, OciRegistryClient client) =>
        new(client, prepared.Request.Registry, prepared.Request.Factory, prepared.Scratch, progress);

    /// <summary>Input errors of the compose-app layer, as the publish error they are.</summary>
    private static async Task<T> Checked<T>(Func<Task<T>> stage)
    {
        try
        {
            return await stage();
        }
        catch (Exception e) when (e is ComposeFileException or PinningException or IgnoreRulesException
                                      or ContainersRepositoryException or ComposeApps.Bundles.BundleException)
        {
            throw new PublishException(e.Message, e);
        }
    }

    private static async Task<PreparedApp> LoadAppAsync(AppFolder app, FactoryImages factory, CancellationToken ct)
    {
        var compose = ComposeFile.Load(Path.Combine(app.Path, ComposeFile.FileName));
        var ignore = await IgnoreRules.LoadAsync(app.Path, ct);
        return new PreparedApp(app, compose, ignore, ImagePinning.Plan(compose, factory, app.Name));
    }

    private static void Validate(PublishRequest request)
    {
        if (!ImageReference.TryParse($"{request.Registry}/{request.Factory}/app:1", out var probe) || probe!.Domain != request.Registry)
            throw new PublishException($"registry '{request.Registry}' and factory '{request.Factory}' do not form an image name <registry>/<factory>/<app>");
        if ((Names.Tag.Problem(request.Tag) ?? request.EffectiveHardwareIds.Select(id => Names.HardwareId.Problem(id)).FirstOrDefault(p => p is not null)) is { } invalid)
            throw new PublishException(invalid);
        if (request.Version is <= 0) throw new PublishException($"version {request.Version} must be a positive integer");
    }

    private void Report(string stage, string subject, string message) => progress?.Report(new PublishProgress(stage, subject, message));
}
