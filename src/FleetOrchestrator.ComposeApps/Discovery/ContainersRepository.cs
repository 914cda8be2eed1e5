using FleetOrchestrator.Oci;
using FleetOrchestrator.Protocol;

namespace FleetOrchestrator.ComposeApps.Discovery;

/// <summary>A top-level folder of containers.git with a Dockerfile: a container image to build.</summary>
public sealed record ContainerFolder(string Name, string Path);

/// <summary>A top-level folder of containers.git with a docker-compose.yml: a compose app to publish.</summary>
public sealed record AppFolder(string Name, string Path);

/// <summary>What a containers.git tree holds, by the naming convention of the seed document.</summary>
public sealed record ContainersRepository(IReadOnlyList<ContainerFolder> Containers, IReadOnlyList<AppFolder> Apps)
{
    public const string DisabledSuffix = ".disabled";

    /// <summary>Scans the top-level folders in ordinal order; hidden folders and <c>*.disabled</c> are skipped.</summary>
    public static ContainersRepository Scan(string root)
    {
        var containers = new List<ContainerFolder>();
        var apps = new List<AppFolder>();
        var problems = new List<string>();
        var folders = new DirectoryInfo(root).GetDirectories()
            .Where(d => !d.Name.StartsWith('.') && d.LinkTarget is null)
            .OrderBy(d => d.Name, StringComparer.Ordinal);
        foreach (var folder in folders)
        {
            if (folder.Name.EndsWith(DisabledSuffix, StringComparison.Ordinal)) continue;
            var hasCompose = File.Exists(Path.Combine(folder.FullName, "docker-compose.yml"));
            var hasYaml = File.Exists(Path.Combine(folder.FullName, "docker-compose.yaml"));
            var hasDockerfile = File.Exists(Path.Combine(folder.FullName, "Dockerfile"));
            if (!hasCompose && !hasDockerfile && !hasYaml) continue;
            // Containers and apps are both pushed as <factory>/<folder>; an app is also a compose project on devices.
            if (!ImageReference.IsPathComponent(folder.Name))
            {
                problems.Add($"folder '{folder.Name}' cannot name an image or app: use lowercase letters, digits and single '.', '_' or '-' separators");
                continue;
            }
            if ((hasCompose || hasYaml) && Names.App.Problem(folder.Name) is { } invalid)
            {
                problems.Add(invalid);
                continue;
            }
            if (hasYaml && !hasCompose)
                problems.Add($"app '{folder.Name}' has docker-compose.yaml: rename it to docker-compose.yml");
            if (hasCompose) apps.Add(new AppFolder(folder.Name, folder.FullName));
            if (hasDockerfile) containers.Add(new ContainerFolder(folder.Name, folder.FullName));
        }
        if (problems.Count > 0) throw new ContainersRepositoryException(string.Join("; ", problems));
        return new ContainersRepository(containers, apps);
    }
}

public sealed class ContainersRepositoryException(string message) : Exception(message);
