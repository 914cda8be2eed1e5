using System.Text.Json;
using System.Text.Json.Nodes;

namespace FleetOrchestrator.Tuf.Metadata;

/// <summary>The keys allowed to sign a role and how many of them must (<c>keyids</c>, <c>threshold</c>).</summary>
public sealed record RoleKeys(IReadOnlyList<string> KeyIds, int Threshold)
{
    public JsonObject? UnknownFields { get; init; }

    public JsonObject ToJson()
    {
        var obj = new JsonObject { ["keyids"] = new JsonArray(KeyIds.Select(k => (JsonNode)k).ToArray()), ["threshold"] = Threshold };
        JsonFields.AddUnknown(obj, UnknownFields);
        return obj;
    }

    internal static RoleKeys FromJson(JsonElement element, string role, string path)
    {
        var fields = new JsonFields(element, role, path);
        return new RoleKeys(fields.StringList("keyids", unique: true), (int)fields.Integer("threshold", 1, int.MaxValue))
        {
            UnknownFields = fields.Unknown(),
        };
    }
}
