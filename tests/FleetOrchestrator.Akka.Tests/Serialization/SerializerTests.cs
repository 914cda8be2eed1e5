using System.Runtime.Serialization;
using Akka.Actor;
using FleetOrchestrator.Infrastructure.Serialization;
using FleetOrchestrator.Protocol;

namespace FleetOrchestrator.Infrastructure.Tests.Serialization;

public sealed record Ping(string DeviceId, int Count, byte[] Payload) : IFleetMessage, IWithDeviceId;

public sealed record Pong(IReadOnlyDictionary<string, long> Seen) : IFleetMessage;

public sealed record NotInTable(string Text) : IFleetMessage;

public sealed class SerializerTests : IDisposable
{
    private static readonly ManifestTable Table = ManifestTable.Empty.Add<Ping>("test.ping").Add<Pong>("test.pong");
    private readonly ActorSystem _system = ActorSystem.Create("protocol", SerializationHosting.Setup(Table));

    public void Dispose() => _system.Terminate().Wait(TimeSpan.FromSeconds(10));

    private FleetJsonSerializer Serializer => Assert.IsType<FleetJsonSerializer>(_system.Serialization.FindSerializerForType(typeof(Ping)));

    [Fact]
    public void Messages_round_trip_under_their_manifest_with_no_type_names()
    {
        var ping = new Ping("device-1", 3, [1, 2, 3]);

        var bytes = Serializer.ToBinary(ping);
        var back = Assert.IsType<Ping>(_system.Serialization.Deserialize(bytes, FleetJsonSerializer.SerializerId, Serializer.Manifest(ping)));

        Assert.Equal("test.ping", Serializer.Manifest(ping));
        Assert.Equal(("device-1", 3), (back.DeviceId, back.Count));
        Assert.Equal(ping.Payload, back.Payload);
        Assert.DoesNotContain("Protocol", System.Text.Encoding.UTF8.GetString(bytes));
        var pong = new Pong(new Dictionary<string, long> { ["a"] = 1 });
        Assert.Equal(1, ((Pong)Serializer.FromBinary(Serializer.ToBinary(pong), "test.pong")).Seen["a"]);
    }

    [Fact]
    public void A_type_missing_from_the_table_is_refused_by_name()
    {
        var e = Assert.Throws<SerializationException>(() => Serializer.ToBinary(new NotInTable("x")));
        Assert.Contains(typeof(NotInTable).FullName!, e.Message);
    }

    [Fact]
    public void An_unknown_manifest_is_refused_listing_the_known_ones()
    {
        var e = Assert.Throws<SerializationException>(() => Serializer.FromBinary("{}"u8.ToArray(), "System.String"));
        Assert.Equal("unknown manifest \"System.String\"; known: [test.ping, test.pong]", e.Message);
    }

    [Theory]
    [InlineData("{\"deviceId\":\"d\",\"count\":\"many\",\"payload\":\"\"}")]
    [InlineData("{\"deviceId\":\"d\",\"count\":1,\"payload\":\"\",\"extra\":1}")]
    [InlineData("{\"count\":1,\"payload\":\"\"}")]
    [InlineData("null")]
    public void Malformed_payloads_are_refused(string json)
    {
        var e = Assert.Throws<SerializationException>(() => Serializer.FromBinary(System.Text.Encoding.UTF8.GetBytes(json), "test.ping"));
        Assert.StartsWith("test.ping payload", e.Message);
    }

    [Fact]
    public void Oversized_payloads_are_refused_before_parsing()
    {
        var e = Assert.Throws<SerializationException>(() => Serializer.FromBinary(new byte[FleetJsonSerializer.MaxPayloadBytes + 1], "test.ping"));
        Assert.Contains("over the", e.Message);
    }
}

public class ManifestTableTests
{
    [Fact]
    public void Duplicate_types_and_manifests_are_refused()
    {
        var table = ManifestTable.Empty.Add<Ping>("test.ping");
        Assert.Contains("already has manifest \"test.ping\"", Assert.Throws<ArgumentException>(() => table.Add<Ping>("test.other")).Message);
        Assert.Contains("already names Ping", Assert.Throws<ArgumentException>(() => table.Add<Pong>("test.ping")).Message);
        Assert.Throws<ArgumentException>(() => table.Merge(ManifestTable.Empty.Add<Pong>("test.ping")));
    }

    [Theory]
    [InlineData("")]
    [InlineData("Test.Ping")]
    [InlineData("FleetOrchestrator.Protocol.Tests.Ping, FleetOrchestrator.Protocol.Tests")]
    public void Manifests_must_be_short_lowercase_names(string manifest) =>
        Assert.Throws<ArgumentException>(() => ManifestTable.Empty.Add<Ping>(manifest));

    [Fact]
    public void Only_fleet_messages_can_be_added() =>
        Assert.Contains("does not implement IFleetMessage", Assert.Throws<ArgumentException>(() => ManifestTable.Empty.Add(typeof(string), "test.string")).Message);

    [Fact]
    public void Merge_keeps_both_tables()
    {
        var merged = ManifestTable.Empty.Add<Ping>("test.ping").Merge(ManifestTable.Empty.Add<Pong>("test.pong"));
        Assert.True(merged.TryGetType("test.pong", out var type));
        Assert.Equal(typeof(Pong), type);
        Assert.Equal(2, merged.Types.Count);
    }
}
