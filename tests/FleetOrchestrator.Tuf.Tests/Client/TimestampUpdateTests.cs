using FleetOrchestrator.Tuf.Client;
using FleetOrchestrator.Tuf.Crypto;
using FleetOrchestrator.Tuf.Metadata;
using FleetOrchestrator.Tuf.Tests.Simulator;

namespace FleetOrchestrator.Tuf.Tests.Client;

/// <summary>Spec §5.4: timestamp signature, version not lower (equal keeps the trusted one), snapshot version not lower, expiry.</summary>
public sealed class TimestampUpdateTests : ClientTestBase
{
    [Fact]
    public async Task Timestamp_signed_by_a_key_root_does_not_trust_is_rejected()
    {
        await RefreshAsync();
        Sim.Signers[Role.Timestamp] = [KeyPair.Generate()];
        Sim.Release();

        var error = await RefreshFailsAsync<TufSignatureException>();

        Assert.Equal(Role.Timestamp, error.Role);
        Assert.Equal(["2.root.json", "timestamp.json"], Sim.MetadataRequests);
        Assert.Equal(1, StoredVersion(Role.Timestamp));
    }

    [Fact]
    public async Task Timestamp_rollback_is_rejected()
    {
        var first = Sim.Served("/metadata/timestamp.json");
        Sim.Release();
        await RefreshAsync();
        Sim.ServeMetadata("timestamp.json", first);

        var error = await RefreshFailsAsync<TufVersionException>();

        Assert.Equal("timestamp version 1 is lower than the trusted version 2", error.Message);
        Assert.Equal(2, StoredVersion(Role.Timestamp));
    }

    [Fact]
    public async Task Timestamp_of_the_same_version_keeps_the_trusted_one()
    {
        await RefreshAsync();
        var trusted = Stored(Role.Timestamp);
        Sim.Timestamp = Sim.Timestamp with { Expires = Sim.Timestamp.Expires.AddDays(1) };
        Sim.PublishTimestamp(); // different bytes, same version 1

        await RefreshAsync();

        Assert.Equal(trusted, Stored(Role.Timestamp));
        Assert.Equal(["2.root.json", "timestamp.json"], Sim.MetadataRequests);
    }

    [Fact]
    public async Task Timestamp_listing_a_lower_snapshot_version_is_rejected()
    {
        Sim.Release();
        await RefreshAsync();
        Sim.Snapshot = Sim.Snapshot with { Version = 1 }; // 1.snapshot.json is still served
        Sim.Timestamp = Sim.Timestamp with { Version = 3 };
        Sim.PublishTimestamp();

        var error = await RefreshFailsAsync<TufVersionException>();

        Assert.Equal("snapshot-rollback", error.Check);
        Assert.Contains("snapshot version 1, lower than 2", error.Message);
        Assert.Equal(2, StoredVersion(Role.Timestamp));
    }

    [Fact]
    public async Task Expired_timestamp_is_rejected()
    {
        Sim.Timestamp = Sim.Timestamp with { Expires = DateTimeOffset.UtcNow.AddMinutes(-1) };
        Sim.Release();

        var error = await RefreshFailsAsync<TufExpiredException>();

        Assert.Equal(Role.Timestamp, error.Role);
        Assert.Equal(["2.root.json", "timestamp.json"], Sim.MetadataRequests);
        Assert.Null(Stored(Role.Timestamp));
    }

    [Fact]
    public async Task Frozen_timestamp_is_rejected_once_it_expires()
    {
        var now = DateTimeOffset.UtcNow;
        Sim.Timestamp = Sim.Timestamp with { Expires = now.AddHours(1) };
        Sim.PublishTimestamp();
        await RefreshAsync(new FixedClock(now));

        // The server keeps answering the same timestamp: a freeze attack once it has expired.
        var error = await RefreshFailsAsync<TufExpiredException>(new FixedClock(now.AddHours(2)));

        Assert.Equal(Role.Timestamp, error.Role);
    }

    [Fact]
    public async Task Expired_stored_timestamp_does_not_block_a_good_update()
    {
        var now = DateTimeOffset.UtcNow;
        Sim.Timestamp = Sim.Timestamp with { Expires = now.AddHours(1) };
        Sim.PublishTimestamp();
        await RefreshAsync(new FixedClock(now));
        Sim.Timestamp = Sim.Timestamp with { Expires = RepositorySimulator.DefaultExpires };
        Sim.Release();

        await RefreshAsync(new FixedClock(now.AddHours(2)));

        Assert.Equal(2, StoredVersion(Role.Timestamp));
    }

    [Fact]
    public async Task Endless_timestamp_is_cut_off_at_16_KB()
    {
        Sim.OverrideMetadata("timestamp.json", new ServedResponse.Endless());

        var error = await RefreshFailsAsync<TufDownloadException>();

        Assert.Equal("size-limit", error.Check);
        Assert.Contains("16384 bytes", error.Message);
    }

    [Fact]
    public async Task Timestamp_over_16_KB_is_refused_from_its_content_length()
    {
        Sim.OverrideMetadata("timestamp.json", new ServedResponse.Body(new byte[16 * 1024 + 1]));

        var error = await RefreshFailsAsync<TufDownloadException>();

        Assert.Contains("Content-Length 16385", error.Message);
    }

    [Fact]
    public async Task Malformed_timestamp_is_rejected_with_the_role_named()
    {
        Sim.ServeMetadata("timestamp.json", "{\"signed\": 1.5, \"signatures\": []}"u8.ToArray());

        var error = await RefreshFailsAsync<TufMetadataFormatException>();

        Assert.Equal(Role.Timestamp, error.Role);
    }
}
