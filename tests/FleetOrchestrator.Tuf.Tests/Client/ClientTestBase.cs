using FleetOrchestrator.TestSupport;
using FleetOrchestrator.Tuf.Client;
using FleetOrchestrator.Tuf.Tests.Simulator;

namespace FleetOrchestrator.Tuf.Tests.Client;

/// <summary>A fresh simulated repository and client folders per test, the client initialised with root v1.</summary>
public abstract class ClientTestBase : IAsyncLifetime
{
    private static readonly HttpClient Http = new();
    private readonly TempDirectory _temp = new();

    protected RepositorySimulator Sim { get; } = new();
    protected string MetadataDir => _temp.Combine("metadata");
    protected string TargetDir => _temp.Combine("targets");

    public async Task InitializeAsync() => await Updater.InitializeAsync(MetadataDir, Sim.PublishedRoots[0]);

    public async Task DisposeAsync()
    {
        await Sim.DisposeAsync();
        _temp.Dispose();
    }

    protected Updater NewUpdater(TimeProvider? clock = null, Func<UpdaterOptions, UpdaterOptions>? configure = null)
    {
        var options = new UpdaterOptions
        {
            MetadataDir = MetadataDir,
            MetadataBaseUrl = Sim.MetadataUrl,
            TargetBaseUrl = Sim.TargetsUrl,
            TargetDir = TargetDir,
            Clock = clock ?? TimeProvider.System,
        };
        return new Updater(configure?.Invoke(options) ?? options, Http);
    }

    /// <summary>A refresh with a new client, as a device does on each poll; requests recorded from a clean list.</summary>
    protected async Task RefreshAsync(TimeProvider? clock = null)
    {
        Sim.ClearRequests();
        await NewUpdater(clock).RefreshAsync();
    }

    protected async Task<TException> RefreshFailsAsync<TException>(TimeProvider? clock = null) where TException : TufClientException
    {
        Sim.ClearRequests();
        return await Assert.ThrowsAsync<TException>(() => NewUpdater(clock).RefreshAsync());
    }

    /// <summary>The stored bytes of a role, or null.</summary>
    protected byte[]? Stored(string role)
    {
        var path = new TrustedMetadataStore(MetadataDir).PathOf(role);
        return File.Exists(path) ? File.ReadAllBytes(path) : null;
    }

    protected int StoredVersion(string role) =>
        (int)System.Text.Json.Nodes.JsonNode.Parse(Stored(role)!)!["signed"]!["version"]!;
}

/// <summary>A clock stopped at a given instant.</summary>
public sealed class FixedClock(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}
