namespace FleetOrchestrator.TestSupport;

/// <summary>
/// A lock held across test processes on this machine: an exclusive open of a file in the temp folder, released when
/// disposed or when the process dies (the OS closes the file). `dotnet test` runs test projects in parallel, and tests of
/// two projects that bind the same host ports (the published httpd app on 127.0.0.1:18080) must not overlap.
/// </summary>
public sealed class MachineLock : IDisposable
{
    private readonly FileStream _file;

    private MachineLock(FileStream file) => _file = file;

    /// <summary>Waits, polling, until the lock named <paramref name="name"/> is free, for at most <paramref name="timeout"/>.</summary>
    public static async Task<MachineLock> AcquireAsync(string name, TimeSpan timeout)
    {
        var path = Path.Combine(Path.GetTempPath(), $"fleet-test-{name}.lock");
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                return new MachineLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500));
            }
        }
    }

    public void Dispose() => _file.Dispose();
}
