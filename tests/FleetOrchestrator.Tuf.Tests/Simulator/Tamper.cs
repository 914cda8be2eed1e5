using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace FleetOrchestrator.Tuf.Tests.Simulator;

/// <summary>Ways a test alters served metadata bytes.</summary>
public static class Tamper
{
    /// <summary>The document after <paramref name="edit"/>, written back compactly (signatures untouched unless edited).</summary>
    public static byte[] EditJson(byte[] raw, Action<JsonObject> edit)
    {
        var document = JsonNode.Parse(raw)!.AsObject();
        edit(document);
        return Serialize(document);
    }

    /// <summary>Compact JSON escaping only what JSON requires (non-ASCII written as UTF-8).</summary>
    public static byte[] Serialize(JsonNode node) =>
        JsonSerializer.SerializeToUtf8Bytes(node, new JsonSerializerOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });

    /// <summary>Flips the lowest bit of the last byte of signature <paramref name="index"/>: subtly wrong, still well-formed.</summary>
    public static byte[] FlipSignatureBit(byte[] raw, int index = 0) => EditJson(raw, document =>
    {
        var signature = document["signatures"]![index]!.AsObject();
        var bytes = Convert.FromHexString((string)signature["sig"]!);
        bytes[^1] ^= 1;
        signature["sig"] = Convert.ToHexStringLower(bytes);
    });

    /// <summary>The same document pretty-printed with every non-ASCII character escaped as \uXXXX: valid, not canonical.</summary>
    public static byte[] PrettyPrinted(byte[] raw) =>
        JsonSerializer.SerializeToUtf8Bytes(JsonNode.Parse(raw), new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.Default });
}
