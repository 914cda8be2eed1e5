using System.Text;

namespace FleetOrchestrator.ComposeApps.Tests.Bundles;

/// <summary>A scratch folder for one test, deleted on dispose.</summary>
internal sealed class TestFolder : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("bundle-test-");

    public string Path => _directory.FullName;

    public string Combine(string relative) => System.IO.Path.Combine(Path, relative);

    /// <summary>Writes a file, creating its folders; returns its full path.</summary>
    public string Write(string relative, string content) => Write(relative, Encoding.UTF8.GetBytes(content));

    public string Write(string relative, byte[] content)
    {
        var full = Combine(relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        File.WriteAllBytes(full, content);
        return full;
    }

    public string CreateDirectory(string relative) => Directory.CreateDirectory(Combine(relative)).FullName;

    public void Symlink(string relative, string target)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Combine(relative))!);
        File.CreateSymbolicLink(Combine(relative), target);
    }

    /// <summary>Every file, directory and link below the folder, '/'-separated and sorted; directories end with '/'.</summary>
    public List<string> ListEntries() => ListEntries(Path);

    /// <summary>The same listing for any folder; links to directories are listed, not entered.</summary>
    public static List<string> ListEntries(string folder)
    {
        var entries = new List<string>();
        var pending = new Stack<DirectoryInfo>([new DirectoryInfo(folder)]);
        while (pending.TryPop(out var directory))
        {
            foreach (var entry in directory.EnumerateFileSystemInfos())
            {
                var relative = System.IO.Path.GetRelativePath(folder, entry.FullName).Replace('\\', '/');
                if (entry is DirectoryInfo subdirectory && entry.LinkTarget is null)
                {
                    entries.Add(relative + "/");
                    pending.Push(subdirectory);
                }
                else
                {
                    entries.Add(relative);
                }
            }
        }

        entries.Sort(StringComparer.Ordinal);
        return entries;
    }

    public void Dispose()
    {
        try
        {
            _directory.Delete(recursive: true);
        }
        catch (IOException)
        {
            // A test that failed half-way may leave an unreadable entry; the temp dir is reclaimed later.
        }
    }
}
