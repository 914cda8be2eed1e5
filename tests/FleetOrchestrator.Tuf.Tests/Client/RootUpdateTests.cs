using FleetOrchestrator.Tuf.Client;
using FleetOrchestrator.Tuf.Crypto;
using FleetOrchestrator.Tuf.Metadata;
using FleetOrchestrator.Tuf.Tests.Simulator;

namespace FleetOrchestrator.Tuf.Tests.Client;

/// <summary>Spec §5.3: the root chain N+1 verified by old and new thresholds, exact versions, final expiry, key rotation effects.</summary>
public sealed class RootUpdateTests : ClientTestBase
{
    /// <summary>Replaces the root keys with fresh ones and publishes root N+1 signed by the old and the new keys.</summary>
    private KeyPair[] RotateRootKeys(int count = 1, int threshold = 1)
    {
        var old = Sim.Signers[Role.Root].ToList();
        var fresh = Enumerable.Range(0, count).Select(_ => KeyPair.Generate()).ToArray();
        Sim.SetRoleKeys(Role.Root, threshold, fresh);
        Sim.RotateRoot(old);
        return fresh;
    }

    [Fact]
    public async Task Root_chain_is_followed_one_version_at_a_time_to_the_newest()
    {
        RotateRootKeys();
        RotateRootKeys();

        await RefreshAsync();

        Assert.Equal(["2.root.json", "3.root.json", "4.root.json", "timestamp.json", "1.snapshot.json", "1.targets.json"], Sim.MetadataRequests);
        Assert.Equal(Sim.PublishedRoots[2], Stored(Role.Root));
    }

    [Fact]
    public async Task New_root_not_signed_by_the_trusted_root_keys_is_rejected()
    {
        Sim.SetRoleKeys(Role.Root, 1, KeyPair.Generate());
        Sim.RotateRoot([]); // only the new key signs

        var error = await RefreshFailsAsync<TufSignatureException>();

        Assert.Contains("trusted root v1", error.Message);
        Assert.Equal(Sim.PublishedRoots[0], Stored(Role.Root));
        Assert.Equal(["2.root.json"], Sim.MetadataRequests);
    }

    [Fact]
    public async Task New_root_not_signed_by_its_own_new_keys_is_rejected()
    {
        var old = Sim.Signers[Role.Root].ToList();
        Sim.SetRoleKeys(Role.Root, 1, KeyPair.Generate());
        Sim.Signers[Role.Root] = old; // signed by the old key only
        Sim.RotateRoot([]);

        var error = await RefreshFailsAsync<TufSignatureException>();

        Assert.Contains("its own root keys (v2)", error.Message);
        Assert.Equal(Sim.PublishedRoots[0], Stored(Role.Root));
    }

    [Fact]
    public async Task Raised_threshold_applies_to_the_next_root()
    {
        var pair = RotateRootKeys(count: 2, threshold: 2); // v2: two keys, threshold 2 (signed by v1's key and both new keys)
        Sim.Signers[Role.Root] = [pair[0]];
        Sim.RotateRoot([]); // v3 signed by only one of v2's two keys

        await Assert.ThrowsAsync<TufSignatureException>(() => NewUpdater().RefreshAsync());

        Assert.Equal(Sim.PublishedRoots[1], Stored(Role.Root)); // v2 was accepted and kept
    }

    [Fact]
    public async Task Lowered_threshold_is_accepted_when_the_old_threshold_signs()
    {
        var pair = RotateRootKeys(count: 2, threshold: 2);
        var single = KeyPair.Generate();
        Sim.SetRoleKeys(Role.Root, 1, single);
        Sim.RotateRoot(pair); // v3: threshold 1, signed by both v2 keys and the new one

        await RefreshAsync();

        Assert.Equal(Sim.PublishedRoots[2], Stored(Role.Root));
    }

    [Fact]
    public async Task Lowered_threshold_is_rejected_when_the_old_threshold_does_not_sign()
    {
        var pair = RotateRootKeys(count: 2, threshold: 2);
        Sim.SetRoleKeys(Role.Root, 1, KeyPair.Generate());
        Sim.RotateRoot([pair[0]]); // one of the two keys v2 requires

        var error = await RefreshFailsAsync<TufSignatureException>();

        Assert.Contains("1 valid signature(s) of 2 needed", error.Message);
        Assert.Equal(Sim.PublishedRoots[1], Stored(Role.Root));
    }

    [Fact]
    public async Task Root_file_holding_another_version_is_rejected()
    {
        Sim.Root = Sim.Root with { Version = 3 };
        Sim.ServeMetadata("2.root.json", Sim.PublishRoot()); // 2.root.json says version 3

        var error = await RefreshFailsAsync<TufVersionException>();

        Assert.Equal("2.root.json holds root version 3, expected 2", error.Message);
        Assert.Equal(Sim.PublishedRoots[0], Stored(Role.Root));
    }

    [Fact]
    public async Task Root_rotations_stop_at_the_configured_maximum()
    {
        for (var i = 0; i < 4; i++) RotateRootKeys(); // v2..v5
        Sim.ClearRequests();

        await NewUpdater(configure: o => o with { MaxRootRotations = 2 }).RefreshAsync();

        Assert.Equal(["2.root.json", "3.root.json", "timestamp.json", "1.snapshot.json", "1.targets.json"], Sim.MetadataRequests);
        Assert.Equal(Sim.PublishedRoots[2], Stored(Role.Root));
    }

    [Fact]
    public async Task Expired_final_root_stops_the_update()
    {
        Sim.Root = Sim.Root with { Expires = DateTimeOffset.UtcNow.AddDays(-1) };
        Sim.RotateRoot([]);

        var error = await RefreshFailsAsync<TufExpiredException>();

        Assert.Equal(Role.Root, error.Role);
        Assert.Equal(["2.root.json", "3.root.json"], Sim.MetadataRequests); // no timestamp asked for
    }

    [Fact]
    public async Task Expired_intermediate_and_trusted_roots_do_not_block_a_current_final_root()
    {
        var clock = new FixedClock(DateTimeOffset.UtcNow.AddDays(30));
        // v1 (trusted) and v2 expire before the clock; v3 and the rest are current.
        Sim.Root = Sim.Root with { Version = 2 };
        Sim.PublishRoot();
        var later = clock.GetUtcNow().AddDays(1);
        Sim.Root = Sim.Root with { Version = 3, Expires = later };
        Sim.PublishRoot();
        Sim.Timestamp = Sim.Timestamp with { Expires = later };
        Sim.Snapshot = Sim.Snapshot with { Expires = later };
        Sim.Targets[Role.Targets] = Sim.Targets[Role.Targets] with { Expires = later };
        Sim.Release();

        await RefreshAsync(clock);

        Assert.Equal(Sim.PublishedRoots[2], Stored(Role.Root));
    }

    [Fact]
    public async Task Server_error_on_the_next_root_fails_rather_than_ending_the_chain()
    {
        Sim.OverrideMetadata("2.root.json", new ServedResponse.Status(System.Net.HttpStatusCode.InternalServerError));

        var error = await RefreshFailsAsync<TufDownloadException>();

        Assert.Contains("HTTP 500", error.Message);
        Assert.Equal(["2.root.json"], Sim.MetadataRequests); // asked once, never retried
    }

    [Fact]
    public async Task Forbidden_next_root_ends_the_chain_like_not_found()
    {
        Sim.OverrideMetadata("2.root.json", new ServedResponse.Status(System.Net.HttpStatusCode.Forbidden));

        await RefreshAsync();

        Assert.Equal(["2.root.json", "timestamp.json", "1.snapshot.json", "1.targets.json"], Sim.MetadataRequests);
    }

    [Fact]
    public async Task Oversized_root_is_cut_off_at_the_root_limit()
    {
        Sim.OverrideMetadata("2.root.json", new ServedResponse.Endless());

        var error = await RefreshFailsAsync<TufDownloadException>();

        Assert.Equal("size-limit", error.Check);
        Assert.Contains($"{UpdaterOptions.DefaultRootMaxBytes} bytes", error.Message);
    }

    [Theory]
    [InlineData(Role.Timestamp)]
    [InlineData(Role.Snapshot)]
    public async Task Fast_forward_attack_is_recovered_from_by_rotating_the_attacked_key(string attackedRole)
    {
        // An attacker holding the role's key pushed version 1000 to the device.
        await RefreshAsync();
        if (attackedRole == Role.Timestamp) Sim.Timestamp = Sim.Timestamp with { Version = 999 };
        else Sim.Snapshot = Sim.Snapshot with { Version = 999 };
        Sim.Release([]);
        await RefreshAsync();
        Assert.Equal(1000, StoredVersion(attackedRole));

        // The repository rotates that key and starts over at lower versions.
        var oldRootSigners = Sim.Signers[Role.Root].ToList();
        Sim.SetRoleKeys(attackedRole, 1, KeyPair.Generate());
        Sim.RotateRoot(oldRootSigners);
        Sim.Timestamp = Sim.Timestamp with { Version = 1 };
        Sim.Snapshot = Sim.Snapshot with { Version = 1 };
        Sim.Release();

        await RefreshAsync();

        Assert.Equal(2, StoredVersion(Role.Timestamp));
        Assert.Equal(2, StoredVersion(Role.Snapshot));
    }

    [Fact]
    public async Task Stored_timestamp_and_snapshot_are_deleted_when_their_keys_rotate()
    {
        await RefreshAsync();
        Sim.SetRoleKeys(Role.Timestamp, 1, KeyPair.Generate());
        Sim.RotateRoot(Sim.Signers[Role.Root]);
        Sim.OverrideMetadata("timestamp.json", new ServedResponse.Status(System.Net.HttpStatusCode.ServiceUnavailable));

        await RefreshFailsAsync<TufDownloadException>(); // the new root is trusted, then the timestamp fetch fails

        Assert.Null(Stored(Role.Timestamp));
        Assert.Null(Stored(Role.Snapshot));
        Assert.NotNull(Stored(Role.Targets));
    }

    [Fact]
    public async Task Missing_trusted_root_is_reported()
    {
        File.Delete(Path.Combine(MetadataDir, "root.json"));

        var error = await RefreshFailsAsync<TufClientException>();

        Assert.Equal("trusted-root", error.Check);
        Assert.Empty(Sim.Requests);
    }

    [Fact]
    public async Task Init_refuses_a_document_that_is_not_a_self_signed_root()
    {
        using var temp = new FleetOrchestrator.TestSupport.TempDirectory();

        await Assert.ThrowsAsync<TufMetadataFormatException>(() => Updater.InitializeAsync(temp.Path, Sim.Served("/metadata/timestamp.json")));
        Sim.Signers[Role.Root] = [KeyPair.Generate()];
        await Assert.ThrowsAsync<TufSignatureException>(() => Updater.InitializeAsync(temp.Path, Sim.PublishRoot()));
        Assert.Empty(Directory.GetFiles(temp.Path));
    }
}
