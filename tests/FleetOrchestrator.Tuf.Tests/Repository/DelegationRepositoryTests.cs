using System.Text.Json;
using FleetOrchestrator.TestSupport;
using FleetOrchestrator.Tuf.Client;
using FleetOrchestrator.Tuf.Crypto;
using FleetOrchestrator.Tuf.Metadata;
using FleetOrchestrator.Tuf.Repository;
using FleetOrchestrator.Tuf.Tests.Simulator;

namespace FleetOrchestrator.Tuf.Tests.RepositoryTests;

/// <summary>Delegated targets roles on the repository side: signed with the targets, listed in snapshot, read by the client.</summary>
public sealed class DelegationRepositoryTests
{
    private static DelegatedRole Apps(KeyPair key, int threshold = 1) =>
        new("apps", [key.KeyId], threshold, Terminating: true, Paths: ["apps/*"], PathHashPrefixes: null);

    private static (TufRepository Repo, KeyPair AppsKey) NewRepository()
    {
        var (repo, appsKey, _) = NewRepositoryWithKeys();
        return (repo, appsKey);
    }

    private static (TufRepository Repo, KeyPair AppsKey, IEnumerable<KeyPair> TopLevelKeys) NewRepositoryWithKeys()
    {
        var (repo, keys) = TufRepository.Create();
        repo.AddView("prod", TufRepository.ProductionView);
        var appsKey = KeyPair.Generate();
        repo.AddSigner(appsKey);
        repo.AddDelegation("prod", Apps(appsKey), [appsKey.PublicKey]);
        return (repo, appsKey, keys.Values.SelectMany(k => k));
    }

    [Fact]
    public void Delegated_role_is_signed_by_its_keys_and_listed_in_snapshot_at_the_shared_version()
    {
        var (repo, appsKey) = NewRepository();
        using var _ = appsKey;
        repo.AddTarget("prod", "production", "base", "b"u8);
        repo.AddTarget("prod", "production", "apps/web", "w"u8, @delegate: "apps");
        repo.Publish("prod");

        var view = repo.State.Tags["prod"].Views["production"];
        var targets = SignedMetadata<TargetsMetadata>.Parse(view.TargetsRaw!);
        var apps = SignedMetadata<TargetsMetadata>.Parse(view.DelegatedRaw!["apps"], "apps");
        var snapshot = SignedMetadata<SnapshotMetadata>.Parse(view.SnapshotRaw!);
        Assert.Equal(["base"], targets.Signed.Targets.Keys);
        Assert.Equal("apps", Assert.Single(targets.Signed.Delegations!.Roles).Name);
        Assert.Equal(["apps/web"], apps.Signed.Targets.Keys);
        Assert.Equal(1, ThresholdVerifier.Verify("apps", targets.Signed.Delegations.Roles[0].Keys, targets.Signed.Delegations.Keys, apps));
        Assert.Equal(targets.Signed.Version, apps.Signed.Version);
        Assert.Equal(["apps.json", "targets.json"], snapshot.Signed.Meta.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(apps.Signed.Version, snapshot.Signed.Meta["apps.json"].Version);
    }

    [Fact]
    public void Bad_delegations_and_targets_outside_a_role_are_refused_with_the_state_unchanged()
    {
        var (repo, appsKey) = NewRepository();
        using var _ = appsKey;
        using var other = KeyPair.Generate();
        var before = repo.State;

        Assert.Contains("outside what delegated role \"apps\" may sign for (paths [apps/*])",
            Assert.Throws<RepositoryException>(() => repo.AddTarget("prod", "production", "tools/x", "x"u8, @delegate: "apps")).Message);
        Assert.Contains("no delegated role \"ops\"",
            Assert.Throws<RepositoryException>(() => repo.AddTarget("prod", "production", "apps/x", "x"u8, @delegate: "ops")).Message);
        Assert.Contains("no public key given for keyid",
            Assert.Throws<RepositoryException>(() => repo.AddDelegation("prod", Apps(other) with { Name = "ops" }, [])).Message);
        Assert.Contains("threshold 2 with 1 key(s) is impossible",
            Assert.Throws<RepositoryException>(() => repo.AddDelegation("prod", Apps(other, threshold: 2) with { Name = "ops" }, [other.PublicKey])).Message);
        Assert.Contains("already delegates to \"apps\"",
            Assert.Throws<RepositoryException>(() => repo.AddDelegation("prod", Apps(other), [other.PublicKey])).Message);
        Assert.Contains("cannot be named like top-level role",
            Assert.Throws<RepositoryException>(() => repo.AddDelegation("prod", Apps(other) with { Name = "snapshot" }, [other.PublicKey])).Message);
        Assert.Contains("exactly one of paths and path hash prefixes",
            Assert.Throws<RepositoryException>(() => repo.AddDelegation("prod", Apps(other) with { Name = "ops", PathHashPrefixes = ["ab"] }, [other.PublicKey])).Message);
        Assert.Same(before, repo.State);

        repo.AddTarget("prod", "production", "apps/x", "x"u8, @delegate: "apps");
        var withTarget = repo.State;
        Assert.Contains("still lists targets (production:apps/x)",
            Assert.Throws<RepositoryException>(() => repo.RemoveDelegation("prod", "apps")).Message);
        Assert.Same(withTarget, repo.State);
        repo.RemoveTarget("prod", "production", "apps/x");
        repo.RemoveDelegation("prod", "apps");
        Assert.Null(repo.DelegationsOf("prod"));
        repo.Publish("prod");
        Assert.Null(repo.State.Tags["prod"].Views["production"].DelegatedRaw);
    }

    [Fact]
    public async Task A_delegated_role_whose_key_is_offline_is_signed_offline_and_publishes_the_tag()
    {
        using var dir = new TempDirectory();
        var (repo, appsKey) = NewRepository();
        await appsKey.SaveAsync(dir.Combine("apps.pem"));
        repo.RemoveSigner(appsKey.KeyId);
        appsKey.Dispose();
        repo.AddTarget("prod", "production", "apps/web", "w"u8, @delegate: "apps");

        // Only the delegated document waits for a signature; the top-level targets were signed online.
        var request = Assert.Single(repo.Publish("prod"));
        Assert.Equal("apps/prod/production/1", request.Id);
        Assert.Equal(2, repo.PendingRequests.Count);
        Assert.Null(repo.State.Tags["prod"].Views["production"].TimestampRaw);

        Assert.True(repo.SubmitSignature(request.Id, await OfflineSigning.SignPayloadAsync(repo.PrepareUnsigned(request.Id), dir.Combine("apps.pem"))));
        Assert.Empty(repo.PendingRequests);
        var apps = SignedMetadata<TargetsMetadata>.Parse(repo.State.Tags["prod"].Views["production"].DelegatedRaw!["apps"], "apps");
        Assert.Equal(["apps/web"], apps.Signed.Targets.Keys);
    }

    [Fact]
    public async Task The_client_finds_delegated_targets_in_the_written_layout_and_the_state_round_trips()
    {
        using var dir = new TempDirectory();
        var (repo, appsKey, topLevelKeys) = NewRepositoryWithKeys();
        using var _ = appsKey;
        repo.AddTarget("prod", "production", "base", "b"u8);
        repo.AddTarget("prod", "production", "apps/web", "web"u8, @delegate: "apps");
        repo.Publish("prod");
        // The state persists as plain JSON (the control plane journals it) and keeps working after a reload.
        var restored = JsonSerializer.Deserialize<RepositoryState>(JsonSerializer.Serialize(repo.State))!;
        var reloaded = TufRepository.Load(restored, [appsKey, .. topLevelKeys]);
        reloaded.AddTarget("prod", "production", "apps/db", "db"u8, @delegate: "apps");
        reloaded.Publish("prod");
        var served = dir.Combine("served");
        await RepositoryLayout.WriteAsync(reloaded.State, served);
        Assert.True(File.Exists(Path.Combine(served, "prod", "production", "2.apps.json")));

        await using var server = new LoopbackHttpServer(path => RepositoryClientTests.Serve(served, path));
        var metadataDir = dir.Combine("metadata");
        var targetDir = dir.Combine("targets");
        Directory.CreateDirectory(targetDir);
        await Updater.InitializeAsync(metadataDir, reloaded.State.Roots[0]);
        var client = new Updater(new UpdaterOptions
        {
            MetadataDir = metadataDir,
            MetadataBaseUrl = new Uri(server.BaseUrl, "prod/production/"),
            TargetBaseUrl = new Uri(server.BaseUrl, "prod/production/targets/"),
            TargetDir = targetDir,
        }, new HttpClient());
        await client.RefreshAsync();
        var db = await client.GetTargetInfoAsync("apps/db");
        Assert.Equal("db"u8.ToArray(), await File.ReadAllBytesAsync(await client.DownloadTargetAsync(db!)));
        Assert.NotNull(await client.GetTargetInfoAsync("base"));
        Assert.Null(await client.GetTargetInfoAsync("tools/x"));
        Assert.True(File.Exists(Path.Combine(metadataDir, "apps.json")));
    }
}
