using CliWrap;
using CliWrap.Buffered;
using FleetOrchestrator.TestSupport;
using YamlDotNet.RepresentationModel;

namespace FleetOrchestrator.Node.Tests;

/// <summary>The top-level docker-compose.yml (three nodes on PostgreSQL with a registry) and the node's command line.</summary>
public sealed class DeploymentTests
{
    private static async Task<YamlMappingNode> ComposeConfigAsync(params (string Name, string Value)[] environment)
    {
        var root = ContainersGit.RepositoryRoot();
        var result = await Cli.Wrap("docker-compose").WithArguments(["-f", Path.Combine(root, "docker-compose.yml"), "config"])
            .WithWorkingDirectory(root)
            .WithEnvironmentVariables(e => { foreach (var (name, value) in environment) e.Set(name, value); })
            .WithValidation(CommandResultValidation.None).ExecuteBufferedAsync();
        Assert.True(result.ExitCode == 0, $"docker-compose config failed: {result.StandardError}");
        var yaml = new YamlStream();
        yaml.Load(new StringReader(result.StandardOutput));
        return (YamlMappingNode)yaml.Documents[0].RootNode;
    }

    private static YamlMappingNode Map(YamlNode node, string key) => (YamlMappingNode)((YamlMappingNode)node)[key];
    private static string Scalar(YamlNode node, string key) => ((YamlScalarNode)((YamlMappingNode)node)[key]).Value!;

    [Fact]
    public async Task Compose_file_runs_three_nodes_that_share_postgres_seeds_and_the_factory_volume()
    {
        var config = await ComposeConfigAsync();
        var services = Map(config, "services");
        var nodes = new[] { "node1", "node2", "node3" }.Select(n => Map(services, n)).ToList();
        Assert.Contains(new YamlScalarNode("postgres"), services.Children.Keys);
        Assert.Contains(new YamlScalarNode("registry"), services.Children.Keys);

        foreach (var (node, name) in nodes.Zip(["node1", "node2", "node3"]))
        {
            var environment = Map(node, "environment");
            Assert.Equal("Host=postgres;Port=5432;Username=fleet;Password=fleet;Database=fleet", Scalar(environment, "FLEET_Node__Postgres"));
            Assert.Equal("akka.ssl.tcp://fleet@node1:4053", Scalar(environment, "FLEET_Node__Seeds__0"));
            // Each node its own remoting certificate, which the factory service issues with fleet-node cert.
            Assert.Equal($"/var/lib/fleet/nodes/{name}", Scalar(environment, "FLEET_Node__NodeCertificate"));
            Assert.Equal(name, Scalar(environment, "FLEET_Node__PublicHostname"));
            Assert.Equal("deploy/Dockerfile", Scalar(Map(node, "build"), "dockerfile"));
            Assert.Equal("service_completed_successfully", Scalar(Map(Map(node, "depends_on"), "factory"), "condition"));
            // Host ports are loopback only.
            foreach (var port in ((YamlSequenceNode)node["ports"]).Children)
                Assert.StartsWith("127.0.0.1", port is YamlMappingNode m ? Scalar(m, "host_ip") : ((YamlScalarNode)port).Value);
        }
        Assert.Equal(["init-once", "--factory", "acme", "--registry", "registry:5000", "--plain-http"],
            ((YamlSequenceNode)Map(services, "factory")["command"]).Children.Select(c => ((YamlScalarNode)c).Value));
        Assert.Equal("node1 node2 node3", Scalar(Map(Map(services, "factory"), "environment"), "FLEET_CLUSTER_NODES"));
    }

    [Fact]
    public async Task Base_images_can_point_at_a_local_mirror_for_air_gapped_sites()
    {
        var config = await ComposeConfigAsync(("NODE_BASE_IMAGE", "mirror.local:5000/dotnet/aspnet:10.0"), ("POSTGRES_IMAGE", "mirror.local:5000/postgres:15"));
        var services = Map(config, "services");
        Assert.Equal("mirror.local:5000/dotnet/aspnet:10.0", Scalar(Map(Map(Map(services, "node2"), "build"), "args"), "BASE_IMAGE"));
        Assert.Equal("mirror.local:5000/postgres:15", Scalar(Map(services, "postgres"), "image"));
        var dockerfile = await File.ReadAllLinesAsync(Path.Combine(ContainersGit.RepositoryRoot(), "deploy", "Dockerfile"));
        Assert.Contains("ARG BASE_IMAGE=mcr.microsoft.com/dotnet/aspnet:10.0", dockerfile);
        Assert.Contains("FROM ${BASE_IMAGE}", dockerfile);
    }

    [Fact]
    public void Seed_and_role_switches_become_configuration_arrays()
    {
        var expanded = NodeHost.ExpandListSwitches(["--data", "d", "--seed", "akka.tcp://fleet@a:4053", "--roles", "registry, fleet", "--seed", "akka.tcp://fleet@b:4053"]);
        Assert.Equal(["--data", "d", "--Node:Seeds:0", "akka.tcp://fleet@a:4053", "--Node:Roles:0", "registry", "--Node:Roles:1", "fleet",
            "--Node:Seeds:1", "akka.tcp://fleet@b:4053"], expanded);
        Assert.Equal("--roles needs a value", Assert.Throws<UsageException>(() => NodeHost.ExpandListSwitches(["--roles"])).Message);
        Assert.Equal(["--Node:DiscoveryEndpoints:0", "node1:8558", "--Node:DiscoveryEndpoints:1", "node2:8558"],
            NodeHost.ExpandListSwitches(["--discovery-endpoint", "node1:8558", "--discovery-endpoint", "node2:8558"]));
    }

    [Theory]
    [InlineData("give --seed or --discovery-endpoint, not both", "--seed", "akka.tcp://fleet@a:4053", "--discovery-endpoint", "a:8558")]
    [InlineData("discovery endpoint \"node1\" is not <host>:<port>", "--discovery-endpoint", "node1")]
    [InlineData("discovery endpoint \"b:70000\" is not <host>:<port>", "--discovery-endpoint", "a:4053", "--discovery-endpoint", "b:70000")]
    public async Task Bad_cluster_formation_switches_are_refused_before_anything_starts(string message, params string[] switches)
    {
        using var data = new TempDirectory();
        var refused = await Assert.ThrowsAsync<UsageException>(() => NodeHost.BuildAsync(["--data", data.Path, .. switches]));
        Assert.Equal(message, refused.Message);
        Assert.Empty(Directory.GetFileSystemEntries(data.Path));
    }
}
