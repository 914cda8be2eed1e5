using System.Security.Cryptography;
using System.Text;
using FleetOrchestrator.Publishing;

namespace FleetOrchestrator.Publishing.Tests;

public class PublishedTargetTests
{
    private static readonly PublishedApp Web = new("web", "r.example/f/web@sha256:" + new string('a', 64), "m", "b", 1);
    private static readonly PublishedApp Api = new("api", "r.example/f/api@sha256:" + new string('b', 64), "m", "b", 1);

    private static PublishedTarget Create(params PublishedApp[] apps) =>
        PublishedTarget.Create("acme", 7, ["rpi4", "x86"], ["main"], apps, "c0ffee", new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero));

    [Fact]
    public void The_target_file_is_the_canonical_json_of_the_app_set()
    {
        var target = Create(Web, Api);
        Assert.Equal($"{{\"api\":{{\"uri\":\"{Api.Uri}\"}},\"web\":{{\"uri\":\"{Web.Uri}\"}}}}", Encoding.UTF8.GetString(target.File));
        Assert.Equal(target.File.Length, target.Length);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(target.File)), target.Hashes["sha256"]);
        Assert.Equal(Convert.ToHexStringLower(SHA512.HashData(target.File)), target.Hashes["sha512"]);
    }

    [Fact]
    public void The_order_apps_arrive_in_does_not_change_the_file() =>
        Assert.Equal(Create(Web, Api).File, Create(Api, Web).File);

    [Fact]
    public void Custom_carries_the_reference_fields()
    {
        var json = Create(Web).ToJson();
        Assert.Equal("acme-7", json["name"]!.GetValue<string>());
        var custom = json["custom"]!;
        Assert.Equal("7", custom["version"]!.GetValue<string>());
        Assert.Equal(["rpi4", "x86"], custom["hardwareIds"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal(["main"], custom["tags"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal(Web.Uri, custom["docker_compose_apps"]!["web"]!["uri"]!.GetValue<string>());
        Assert.Equal("c0ffee", custom["containers-sha"]!.GetValue<string>());
        Assert.Equal("2026-01-02T03:04:05Z", custom["createdAt"]!.GetValue<string>());
        Assert.Equal(json["length"]!.GetValue<long>(), Create(Web).Length);
    }
}
