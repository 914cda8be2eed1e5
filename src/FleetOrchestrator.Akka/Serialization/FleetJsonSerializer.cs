using System.Runtime.Serialization;
using System.Text.Json;
using Akka.Actor;
using Akka.Serialization;
using FleetOrchestrator.Protocol;

namespace FleetOrchestrator.Infrastructure.Serialization;

/// <summary>
/// Serializes every <see cref="IFleetMessage"/> as UTF-8 JSON (System.Text.Json) with a string manifest taken
/// from an explicit <see cref="ManifestTable"/>: no type names are written, and only types in the table can
/// be created from received or stored bytes.
/// </summary>
public sealed class FleetJsonSerializer(ExtendedActorSystem system, ManifestTable table) : SerializerWithStringManifest(system)
{
    /// <summary>Akka serializer id (ids below 100 are reserved by Akka).</summary>
    public const int SerializerId = 4711;

    /// <summary>The name under which the serializer is registered in <c>akka.actor.serializers</c>.</summary>
    public const string Name = "fleet-json";

    /// <summary>Largest payload read back: larger rows or frames are refused before parsing.</summary>
    public const int MaxPayloadBytes = 64 * 1024 * 1024;

    public static JsonSerializerOptions JsonOptions { get; } = new(JsonSerializerDefaults.Web)
    {
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
    };

    public override int Identifier => SerializerId;

    public override string Manifest(object o) =>
        table.TryGetManifest(o.GetType(), out var manifest)
            ? manifest
            : throw new SerializationException($"{o.GetType().FullName} has no entry in the fleet manifest table; add one where its feature registers its messages");

    public override byte[] ToBinary(object obj)
    {
        Manifest(obj);
        return JsonSerializer.SerializeToUtf8Bytes(obj, obj.GetType(), JsonOptions);
    }

    public override object FromBinary(byte[] bytes, string manifest)
    {
        if (!table.TryGetType(manifest, out var type))
            throw new SerializationException($"unknown manifest \"{manifest}\"; known: [{string.Join(", ", table.Manifests.Order(StringComparer.Ordinal))}]");
        if (bytes.Length > MaxPayloadBytes)
            throw new SerializationException($"{manifest} payload is {bytes.Length} bytes, over the {MaxPayloadBytes}-byte limit");
        try
        {
            return JsonSerializer.Deserialize(bytes, type, JsonOptions)
                ?? throw new SerializationException($"{manifest} payload is JSON null");
        }
        catch (JsonException e)
        {
            throw new SerializationException($"{manifest} payload is not a valid {type.Name}: {e.Message}", e);
        }
    }
}
