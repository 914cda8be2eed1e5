using FleetOrchestrator.Tuf.Client;
using FleetOrchestrator.Tuf.Crypto;
using FleetOrchestrator.Tuf.Metadata;

namespace FleetOrchestrator.Tuf.Tests.Client;

/// <summary>Spec §5.6.7: pre-order depth-first delegation search, terminating roles, path patterns, the visit cap, diamonds, role names.</summary>
public sealed class DelegationSearchTests : ClientTestBase
{
    /// <summary>Publishes every delegated role at its current version, then a release of targets + snapshot + timestamp.</summary>
    private void PublishDelegations()
    {
        foreach (var role in Sim.Targets.Keys.Where(r => r != Role.Targets)) Sim.PublishTargets(role);
        Sim.Release();
    }

    private async Task<(Updater Updater, TargetInfo? Info)> SearchAsync(string target, int maxVisited = 32)
    {
        var updater = NewUpdater(configure: o => o with { MaxDelegationsVisited = maxVisited });
        await updater.RefreshAsync();
        Sim.ClearRequests();
        return (updater, await updater.GetTargetInfoAsync(target));
    }

    [Fact]
    public async Task Search_is_depth_first_in_delegation_order()
    {
        Sim.Delegate(Role.Targets, "a", terminating: false, ["*"]);
        Sim.Delegate(Role.Targets, "b", terminating: false, ["*"]);
        Sim.Delegate("a", "a1", terminating: false, ["*"]);
        var file = Sim.AddTarget("app", "from b"u8.ToArray(), "b");
        PublishDelegations();

        var (_, info) = await SearchAsync("app");

        Assert.Equal(["1.a.json", "1.a1.json", "1.b.json"], Sim.MetadataRequests);
        Assert.Equal("b", info!.SigningRole);
        Assert.Equal(file.Hashes, info.File.Hashes);
        Assert.Equal(Sim.Served("/metadata/1.a1.json"), Stored("a1"));
    }

    [Fact]
    public async Task The_first_role_found_in_search_order_wins()
    {
        Sim.Delegate(Role.Targets, "a", terminating: false, ["*"]);
        Sim.Delegate(Role.Targets, "b", terminating: false, ["*"]);
        Sim.Delegate("a", "a1", terminating: false, ["*"]);
        Sim.AddTarget("app", "from b"u8.ToArray(), "b");
        var deep = Sim.AddTarget("app", "from a1, longer"u8.ToArray(), "a1");
        PublishDelegations();

        var (_, info) = await SearchAsync("app");

        Assert.Equal("a1", info!.SigningRole);
        Assert.Equal(deep.Length, info.File.Length);
        Assert.Equal(["1.a.json", "1.a1.json"], Sim.MetadataRequests);
    }

    [Fact]
    public async Task A_terminating_role_ends_the_search_even_without_the_target()
    {
        Sim.Delegate(Role.Targets, "a", terminating: true, ["*"]);
        Sim.Delegate(Role.Targets, "b", terminating: false, ["*"]);
        Sim.AddTarget("app", "x"u8.ToArray(), "b");
        PublishDelegations();

        var (_, info) = await SearchAsync("app");

        Assert.Null(info);
        Assert.Equal(["1.a.json"], Sim.MetadataRequests);
    }

    [Fact]
    public async Task A_terminating_role_deep_in_the_tree_also_ends_the_search_of_its_ancestors_siblings()
    {
        Sim.Delegate(Role.Targets, "a", terminating: false, ["*"]);
        Sim.Delegate(Role.Targets, "b", terminating: false, ["*"]);
        Sim.Delegate("a", "a1", terminating: true, ["*"]);
        Sim.AddTarget("app", "x"u8.ToArray(), "b");
        PublishDelegations();

        var (_, info) = await SearchAsync("app");

        Assert.Null(info);
        Assert.Equal(["1.a.json", "1.a1.json"], Sim.MetadataRequests);
    }

    [Fact]
    public async Task Roles_whose_paths_do_not_match_are_never_fetched()
    {
        Sim.Delegate(Role.Targets, "other", terminating: false, ["other/*"]);
        Sim.Delegate(Role.Targets, "apps", terminating: false, ["app-*"]);
        Sim.AddTarget("app-1", "x"u8.ToArray(), "apps");
        PublishDelegations();

        var (_, info) = await SearchAsync("app-1");

        Assert.Equal("apps", info!.SigningRole);
        Assert.Equal(["1.apps.json"], Sim.MetadataRequests);
    }

    [Fact]
    public async Task A_role_may_only_list_targets_its_delegation_covers()
    {
        // "apps" is trusted for app-* only; its listing of "firmware" must not be believed.
        Sim.Delegate(Role.Targets, "apps", terminating: false, ["app-*"]);
        Sim.AddTarget("firmware", "evil"u8.ToArray(), "apps");
        PublishDelegations();

        var (_, info) = await SearchAsync("firmware");

        Assert.Null(info);
        Assert.Empty(Sim.MetadataRequests);
    }

    [Fact]
    public async Task Long_delegation_chains_stop_at_the_visit_cap()
    {
        Sim.Delegate(Role.Targets, "d1", terminating: false, ["*"]);
        for (var i = 2; i <= 4; i++) Sim.Delegate($"d{i - 1}", $"d{i}", terminating: false, ["*"]);
        Sim.AddTarget("app", "x"u8.ToArray(), "d4");
        PublishDelegations();

        var (_, capped) = await SearchAsync("app", maxVisited: 3);
        Assert.Null(capped);
        Assert.Equal(["1.d1.json", "1.d2.json"], Sim.MetadataRequests);

        var (_, found) = await SearchAsync("app");
        Assert.Equal("d4", found!.SigningRole);
    }

    [Fact]
    public async Task Delegation_cycles_end()
    {
        Sim.Delegate(Role.Targets, "a", terminating: false, ["*"]);
        Sim.Delegate("a", "b", terminating: false, ["*"]);
        var aKey = Sim.Signers["a"][0];
        Sim.Targets["b"] = Sim.Targets["b"] with // b delegates back to a
        {
            Delegations = new Delegations(new Dictionary<string, Key> { [aKey.KeyId] = aKey.PublicKey },
                [new DelegatedRole("a", [aKey.KeyId], 1, Terminating: false, ["*"], null)]),
        };
        PublishDelegations();

        var (_, info) = await SearchAsync("app");

        Assert.Null(info);
        Assert.Equal(["1.a.json", "1.b.json"], Sim.MetadataRequests);
    }

    [Fact]
    public async Task Delegated_role_signed_by_a_key_its_delegator_does_not_trust_is_rejected()
    {
        Sim.Delegate(Role.Targets, "apps", terminating: false, ["*"]);
        Sim.Signers["apps"] = [KeyPair.Generate()];
        PublishDelegations();
        var updater = NewUpdater();
        await updater.RefreshAsync();

        var error = await Assert.ThrowsAsync<TufSignatureException>(() => updater.GetTargetInfoAsync("app"));

        Assert.Equal("apps", error.Role);
        Assert.Contains("its delegator", error.Message);
        Assert.Null(Stored("apps"));
    }

    /// <summary>
    /// A diamond: "a" and "b" both delegate "c", each naming its own key for it; c is signed by the keys
    /// <paramref name="cSigners"/> picks. Returns the client once it has found "a/app" through "a", so c is loaded.
    /// </summary>
    private async Task<Updater> DiamondSearchedThroughAAsync(Func<ISigner, ISigner, ISigner[]> cSigners)
    {
        var (aKeyForC, bKeyForC) = (KeyPair.Generate(), KeyPair.Generate());
        Sim.Delegate(Role.Targets, "a", terminating: false, ["a/*"]);
        Sim.Delegate(Role.Targets, "b", terminating: false, ["b/*"]);
        Sim.Delegate("a", "c", terminating: false, ["a/*"], keys: [aKeyForC]);
        Sim.Delegate("b", "c", terminating: false, ["b/*"], keys: [bKeyForC]);
        Sim.Signers["c"] = [.. cSigners(aKeyForC, bKeyForC)];
        Sim.AddTarget("a/app", "x"u8.ToArray(), "c");
        Sim.AddTarget("b/app", "y"u8.ToArray(), "c");
        PublishDelegations();

        var (updater, viaA) = await SearchAsync("a/app");
        Assert.Equal("c", viaA!.SigningRole);
        return updater;
    }

    [Fact]
    public async Task A_role_reached_through_a_second_delegator_must_verify_against_that_delegators_keys()
    {
        // c is signed only with the key a's delegation names; b's delegation names another key.
        var updater = await DiamondSearchedThroughAAsync((aKeyForC, _) => [aKeyForC]);

        var error = await Assert.ThrowsAsync<TufSignatureException>(() => updater.GetTargetInfoAsync("b/app"));

        Assert.Equal("c", error.Role);
        Assert.Contains("its delegator b", error.Message);
        // Asked again, the path is still refused: a failed check vouches for nothing.
        await Assert.ThrowsAsync<TufSignatureException>(() => updater.GetTargetInfoAsync("b/app"));
        Assert.Equal("c", (await updater.GetTargetInfoAsync("a/app"))!.SigningRole);
    }

    [Fact]
    public async Task A_role_signed_for_both_delegators_is_found_through_either_and_fetched_once()
    {
        var updater = await DiamondSearchedThroughAAsync((aKeyForC, bKeyForC) => [aKeyForC, bKeyForC]);

        var viaB = await updater.GetTargetInfoAsync("b/app");

        Assert.Equal("c", viaB!.SigningRole);
        Assert.Equal(["1.a.json", "1.c.json", "1.b.json"], Sim.MetadataRequests);
    }

    [Fact]
    public async Task Delegated_role_missing_from_the_snapshot_is_rejected()
    {
        Sim.Delegate(Role.Targets, "apps", terminating: false, ["*"]);
        Sim.Targets.Remove("apps"); // delegated, but never published nor listed
        Sim.Release();
        var updater = NewUpdater();
        await updater.RefreshAsync();

        var error = await Assert.ThrowsAsync<TufRoleMissingException>(() => updater.GetTargetInfoAsync("app"));

        Assert.Equal("snapshot v2 does not list apps.json", error.Message);
    }

    [Theory]
    [InlineData("../x", "..%2Fx")]
    [InlineData("?", "%3F")]
    [InlineData("#", "%23")]
    [InlineData("a b/%", "a%20b%2F%25")]
    public async Task Unusual_role_names_are_quoted_in_requests_and_file_names(string role, string quoted)
    {
        Sim.Delegate(Role.Targets, role, terminating: false, ["*"]);
        Sim.AddTarget("app", "x"u8.ToArray(), role);
        PublishDelegations();

        var (_, info) = await SearchAsync("app");

        Assert.Equal(role, info!.SigningRole);
        Assert.Equal([$"1.{quoted}.json"], Sim.MetadataRequests);
        Assert.Equal(Sim.Served($"/metadata/1.{quoted}.json"), await File.ReadAllBytesAsync(Path.Combine(MetadataDir, quoted + ".json")));
        Assert.Empty(Directory.GetDirectories(MetadataDir));
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(MetadataDir)!)); // nothing written beside the metadata folder
    }
}
