using FleetOrchestrator.ComposeApps.Discovery;

namespace FleetOrchestrator.ComposeApps.Tests.Discovery;

public class ContainersRepositoryTests : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("containers-");

    private void Touch(string relative)
    {
        var path = Path.Combine(_root.FullName, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, "x");
    }

    [Fact]
    public void Apps_and_containers_are_found_by_naming_convention_in_ordinal_order()
    {
        Touch("web/docker-compose.yml");
        Touch("api/Dockerfile");
        Touch("api/docker-compose.yml");
        Touch("old.disabled/docker-compose.yml");
        Touch(".github/docker-compose.yml");
        Touch("docs/readme.md");
        Touch("nested/deeper/docker-compose.yml");
        var repo = ContainersRepository.Scan(_root.FullName);
        Assert.Equal(["api", "web"], repo.Apps.Select(a => a.Name));
        Assert.Equal(["api"], repo.Containers.Select(c => c.Name));
    }

    [Fact]
    public void A_lone_docker_compose_yaml_asks_for_the_yml_name()
    {
        Touch("web/docker-compose.yaml");
        var ex = Assert.Throws<ContainersRepositoryException>(() => ContainersRepository.Scan(_root.FullName));
        Assert.Contains("app 'web' has docker-compose.yaml: rename it to docker-compose.yml", ex.Message);
    }

    [Fact]
    public void A_folder_name_that_cannot_be_an_image_name_is_refused()
    {
        Touch("My App/docker-compose.yml");
        var ex = Assert.Throws<ContainersRepositoryException>(() => ContainersRepository.Scan(_root.FullName));
        Assert.Contains("folder 'My App' cannot name an image or app", ex.Message);
    }

    [Fact]
    public void A_dotted_folder_may_be_a_container_but_not_an_app()
    {
        Touch("base.alpine/Dockerfile");
        Assert.Equal(["base.alpine"], ContainersRepository.Scan(_root.FullName).Containers.Select(c => c.Name));

        Touch("web.v2/docker-compose.yml");
        Touch("web.v2/Dockerfile");
        var ex = Assert.Throws<ContainersRepositoryException>(() => ContainersRepository.Scan(_root.FullName));
        Assert.Equal($"invalid app name \"web.v2\": use {Protocol.Names.App.Description}", ex.Message);
    }

    public void Dispose() => _root.Delete(true);
}
