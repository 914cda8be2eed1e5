using FleetOrchestrator.TestSupport;
using FleetOrchestrator.Tuf.Client;

namespace FleetOrchestrator.Tuf.Tests.Client;

public sealed class TrustedMetadataStoreTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    [Fact]
    public async Task Writes_replace_the_file_whole_and_leave_no_temporary_files()
    {
        var store = new TrustedMetadataStore(_temp.Combine("metadata"));
        await store.WriteAsync("timestamp", "first"u8.ToArray());
        await store.WriteAsync("timestamp", "second"u8.ToArray());

        Assert.Equal("second"u8.ToArray(), await store.ReadAsync("timestamp", 100));
        Assert.Equal(["timestamp.json"], Directory.GetFiles(store.Directory).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Role_names_are_url_encoded_into_one_file_inside_the_folder()
    {
        var store = new TrustedMetadataStore(_temp.Combine("metadata"));

        await store.WriteAsync("../escape", "x"u8.ToArray());

        Assert.Equal(_temp.Combine("metadata", "..%2Fescape.json"), store.PathOf("../escape"));
        Assert.Equal(["..%2Fescape.json"], Directory.GetFiles(store.Directory).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Absent_files_read_as_null_and_oversized_ones_are_refused()
    {
        var store = new TrustedMetadataStore(_temp.Combine("missing"));
        Assert.Null(await store.ReadAsync("root", 100));

        await store.WriteAsync("root", new byte[101]);
        var error = await Assert.ThrowsAsync<TufDownloadException>(() => store.ReadAsync("root", 100));
        Assert.Contains("101 bytes, over the limit of 100", error.Message);
    }

    public void Dispose() => _temp.Dispose();
}
