using FleetOrchestrator.ComposeApps.Compose;
using FleetOrchestrator.ComposeApps.Discovery;
using FleetOrchestrator.ComposeApps.Ignore;
using FleetOrchestrator.Oci;

namespace FleetOrchestrator.Publishing;

/// <summary>What one publish produced.</summary>
public sealed record PublishResult(SourceRevision Revision, IReadOnlyList<BuiltContainer> Containers, IReadOnlyList<PublishedApp> Apps, PublishedTarget Target);

/// <summary>
/// containers.git → built containers → pinned, bundled and pushed apps → the target to record.
/// Every compose file is checked before anything is built or pushed, so bad input fails fast; an error at
/// any step leaves no target.
/// </summary>
public sealed class PublishPipeline(IProgress<PublishProgress>? progress = null, TimeProvider? clock = null)
{
    public async Task<PublishResult> RunAsync(PublishRequest request, CancellationToken ct = default)
    {
        Validate(request);
        var scratch = Directory.CreateTempSubdirectory("fleet-publish-").FullName;
        try
        {
            var repository = await GitSource.OpenAsync(request.Repository, scratch, ct);
            var revision = await GitSource.ResolveAsync(repository, request.Ref, ct);
            Report("source", request.Repository, $"{request.Ref} = {revision.CommitSha} ({revision.CommitCount} commits)");
            var tree = Path.Combine(scratch, "tree");
            await GitSource.ExportAsync(repository, revision.CommitSha, tree, ct);

            var layout = ContainersRepository.Scan(tree);
            var factoryImages = new FactoryImages(request.Registry, request.Factory, revision.ShortSha);
            var apps = new List<LoadedApp>();
            foreach (var app in layout.Apps) apps.Add(await LoadAppAsync(app, factoryImages, ct));
            Report("scan", request.Repository, $"{layout.Containers.Count} containers, {apps.Count} apps");

            var builder = new ContainerBuilder(request.Registry, request.Factory, progress);
            var containers = new List<BuiltContainer>();
            foreach (var container in layout.Containers)
                containers.Add(await builder.BuildAndPushAsync(container, revision.ShortSha, ct));

            using var client = new OciRegistryClient(new RegistryClientOptions
            {
                PlainHttp = request.PlainHttp,
                Mirrors = request.Mirrors ?? new Dictionary<string, string>(),
            });
            var resolved = await new ImageResolver(client, progress: progress)
                .ResolveAsync(apps.SelectMany(a => a.Plan.Select(p => (a.Folder.Name, p))), ct);
            foreach (var app in apps)
                Report("platforms", app.Folder.Name, string.Join(", ", ImageResolver.CommonPlatforms(app.Folder.Name, app.Plan, resolved)));
            var digests = resolved.ToDictionary(r => r.Key, r => r.Value.Digest);

            var version = request.Version ?? revision.CommitCount;
            var publisher = new AppPublisher(client, request.Registry, request.Factory, scratch, progress);
            var bundles = new List<AppBundle>();
            foreach (var app in apps)
                bundles.Add(await publisher.BundleAsync(app.Folder, app.Ignore, ImagePinning.Apply(app.Compose, app.Plan, digests), ct));
            var published = new List<PublishedApp>();
            foreach (var bundle in bundles)
                published.Add(await publisher.PushAsync(bundle, version, ct));

            var target = PublishedTarget.Create(request.Factory, version, request.EffectiveHardwareIds, [request.Tag],
                published, revision.CommitSha, (clock ?? TimeProvider.System).GetUtcNow());
            Report("target", target.Name, $"{published.Count} apps, {target.Length} bytes");
            return new PublishResult(revision, containers, published, target);
        }
        catch (Exception e) when (e is ComposeFileException or PinningException or IgnoreRulesException
                                      or ContainersRepositoryException or ComposeApps.Bundles.BundleException)
        {
            throw new PublishException(e.Message, e);
        }
        finally
        {
            try { Directory.Delete(scratch, recursive: true); } catch (IOException) { }
        }
    }

    private sealed record LoadedApp(AppFolder Folder, ComposeFile Compose, IgnoreRules Ignore, IReadOnlyList<PinRequest> Plan);

    private static async Task<LoadedApp> LoadAppAsync(AppFolder app, FactoryImages factory, CancellationToken ct)
    {
        var compose = ComposeFile.Load(Path.Combine(app.Path, ComposeFile.FileName));
        var ignore = await IgnoreRules.LoadAsync(app.Path, ct);
        return new LoadedApp(app, compose, ignore, ImagePinning.Plan(compose, factory, app.Name));
    }

    private static void Validate(PublishRequest request)
    {
        if (!ImageReference.TryParse($"{request.Registry}/{request.Factory}/app:1", out var probe) || probe!.Domain != request.Registry)
            throw new PublishException($"registry '{request.Registry}' and factory '{request.Factory}' do not form an image name <registry>/<factory>/<app>");
        if (string.IsNullOrWhiteSpace(request.Tag) || request.Tag.Length > 128)
            throw new PublishException($"tag '{request.Tag}' is empty or longer than 128 characters");
        if (request.Version is <= 0) throw new PublishException($"version {request.Version} must be a positive integer");
    }

    private void Report(string stage, string subject, string message) => progress?.Report(new PublishProgress(stage, subject, message));
}
