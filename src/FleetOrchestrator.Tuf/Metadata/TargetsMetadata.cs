using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace FleetOrchestrator.Tuf.Metadata;

/// <summary>A target file entry: exact length, hashes (algorithm -> lowercase hex) and optional <c>custom</c> data.</summary>
public sealed record TargetFile(long Length, IReadOnlyDictionary<string, string> Hashes, JsonObject? Custom = null)
{
    public JsonObject? UnknownFields { get; init; }

    public JsonObject ToJson()
    {
        var obj = new JsonObject { ["length"] = Length, ["hashes"] = MetaFile.HashesToJson(Hashes) };
        if (Custom is not null) obj["custom"] = Custom.DeepClone();
        JsonFields.AddUnknown(obj, UnknownFields);
        return obj;
    }

    internal static TargetFile FromJson(JsonElement element, string role, string name)
    {
        var fields = new JsonFields(element, role, "signed.targets", name);
        var length = fields.Integer("length", 0);
        var hashes = fields.DeferredStringMap("hashes", nonEmpty: true);
        var custom = fields.OptionalObject("custom") is { } c ? JsonObject.Create(c) : null;
        return new TargetFile(length, hashes, custom) { UnknownFields = fields.Unknown() };
    }
}

/// <summary>targets.json (or a delegated role's) <c>signed</c>: target name -> file, optional delegations.</summary>
public sealed record TargetsMetadata : SignedPayload, ISignedPayload<TargetsMetadata>
{
    public static string TypeName => Role.Targets;
    public override string Type => TypeName;

    public required IReadOnlyDictionary<string, TargetFile> Targets { get; init; }
    public Delegations? Delegations { get; init; }

    protected override void WriteFields(JsonObject signed)
    {
        var targets = new JsonObject();
        foreach (var (name, file) in Targets) targets[name] = file.ToJson();
        signed["targets"] = targets;
        if (Delegations is not null) signed["delegations"] = Delegations.ToJson();
    }

    public static TargetsMetadata FromJson(JsonElement signed, string role)
    {
        var fields = new JsonFields(signed, role, "signed");
        var (version, expires, spec) = ReadHeader(fields, TypeName, role);
        var targetsObj = fields.Object("targets");
        var targets = new Dictionary<string, TargetFile>(targetsObj.GetPropertyCount(), StringComparer.Ordinal);
        foreach (var (name, value) in targetsObj.EnumerateObject().Select(m => (m.Name, m.Value)))
            targets[name] = TargetFile.FromJson(value, role, name);
        var delegations = fields.OptionalObject("delegations") is { } d ? Delegations.FromJson(d, role) : null;
        return new TargetsMetadata
        {
            Version = version, Expires = expires, SpecVersion = spec,
            Targets = targets, Delegations = delegations, UnknownFields = fields.Unknown(),
        };
    }
}

/// <summary>The <c>delegations</c> of a targets role: keys and the delegated roles in priority order.</summary>
public sealed record Delegations(IReadOnlyDictionary<string, Key> Keys, IReadOnlyList<DelegatedRole> Roles)
{
    public JsonObject? UnknownFields { get; init; }

    public JsonObject ToJson()
    {
        var keys = new JsonObject();
        foreach (var (id, key) in Keys) keys[id] = key.ToJson();
        var obj = new JsonObject { ["keys"] = keys, ["roles"] = new JsonArray(Roles.Select(r => (JsonNode)r.ToJson()).ToArray()) };
        JsonFields.AddUnknown(obj, UnknownFields);
        return obj;
    }

    internal static Delegations FromJson(JsonElement element, string role)
    {
        var fields = new JsonFields(element, role, "signed.delegations");
        var keys = RootMetadata.ReadKeys(fields.Object("keys"), role, "signed.delegations.keys");
        var roles = new List<DelegatedRole>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in fields.Array("roles").EnumerateArray())
        {
            var i = roles.Count;
            var delegated = DelegatedRole.FromJson(item, role, $"signed.delegations.roles[{i}]");
            if (!names.Add(delegated.Name))
                throw fields.Error($"signed.delegations.roles[{i}].name", $"duplicate delegated role \"{delegated.Name}\"");
            if (Role.TopLevel.Contains(delegated.Name))
                throw fields.Error($"signed.delegations.roles[{i}].name", $"a delegated role cannot be named like top-level role \"{delegated.Name}\"");
            roles.Add(delegated);
        }
        return new Delegations(keys, roles) { UnknownFields = fields.Unknown() };
    }
}

/// <summary>
/// One delegation: role name, its keys and threshold, whether it is terminating, and the targets it may
/// sign for — either <see cref="Paths"/> (shell-style patterns) or <see cref="PathHashPrefixes"/>.
/// </summary>
public sealed record DelegatedRole(
    string Name,
    IReadOnlyList<string> KeyIds,
    int Threshold,
    bool Terminating,
    IReadOnlyList<string>? Paths,
    IReadOnlyList<string>? PathHashPrefixes)
{
    public JsonObject? UnknownFields { get; init; }

    /// <summary>The keyids and threshold of this role, the shape <see cref="ThresholdVerifier"/> takes.</summary>
    public RoleKeys Keys => new(KeyIds, Threshold);

    /// <summary>
    /// Whether this role may sign for <paramref name="targetPath"/>. A pattern matches when it has the same
    /// number of '/'-separated parts as the path and each part matches fnmatch-style (<c>*</c>, <c>?</c>,
    /// <c>[seq]</c>, <c>[!seq]</c>; none of them crosses a '/'); a hash prefix matches the start of the
    /// lowercase hex sha256 of the UTF-8 path.
    /// </summary>
    public bool MatchesTarget(string targetPath)
    {
        if (Paths is not null)
            return Paths.Any(pattern => PathPattern.Matches(pattern, targetPath));
        if (PathHashPrefixes is null || PathHashPrefixes.Count == 0) return false;
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(targetPath)));
        return PathHashPrefixes.Any(prefix => hash.StartsWith(prefix, StringComparison.Ordinal));
    }

    public JsonObject ToJson()
    {
        var obj = new JsonObject
        {
            ["name"] = Name,
            ["keyids"] = new JsonArray(KeyIds.Select(k => (JsonNode)k).ToArray()),
            ["threshold"] = Threshold,
            ["terminating"] = Terminating,
        };
        if (Paths is not null) obj["paths"] = new JsonArray(Paths.Select(p => (JsonNode)p).ToArray());
        if (PathHashPrefixes is not null) obj["path_hash_prefixes"] = new JsonArray(PathHashPrefixes.Select(p => (JsonNode)p).ToArray());
        JsonFields.AddUnknown(obj, UnknownFields);
        return obj;
    }

    internal static DelegatedRole FromJson(JsonElement element, string role, string path)
    {
        var fields = new JsonFields(element, role, path);
        var name = fields.String("name");
        var keyIds = fields.StringList("keyids", unique: true);
        var threshold = (int)fields.Integer("threshold", 1, int.MaxValue);
        var terminating = fields.Bool("terminating");
        var paths = fields.OptionalStringList("paths", unique: false);
        var prefixes = fields.OptionalStringList("path_hash_prefixes", unique: false);
        if ((paths is null) == (prefixes is null))
            throw fields.Error(path, $"delegated role \"{name}\" must have exactly one of \"paths\" and \"path_hash_prefixes\"");
        return new DelegatedRole(name, keyIds, threshold, terminating, paths, prefixes) { UnknownFields = fields.Unknown() };
    }
}

/// <summary>The TUF spec's fnmatch-like target path patterns, matched part by part so '*' never crosses '/'.</summary>
internal static class PathPattern
{
    public static bool Matches(string pattern, string path)
    {
        var patternParts = pattern.Split('/');
        var pathParts = path.Split('/');
        if (patternParts.Length != pathParts.Length) return false;
        for (var i = 0; i < patternParts.Length; i++)
            if (!MatchPart(patternParts[i], pathParts[i])) return false;
        return true;
    }

    /// <summary>Glob matching of one part with backtracking on the last '*' (linear in practice).</summary>
    private static bool MatchPart(string pattern, string text)
    {
        int p = 0, t = 0, starP = -1, starT = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && pattern[p] == '*')
            {
                starP = p++;
                starT = t;
            }
            else if (p < pattern.Length && MatchOne(pattern, ref p, text[t]))
            {
                t++;
            }
            else if (starP >= 0)
            {
                p = starP + 1;
                t = ++starT;
            }
            else
            {
                return false;
            }
        }
        while (p < pattern.Length && pattern[p] == '*') p++;
        return p == pattern.Length;
    }

    /// <summary>Matches one pattern element (<c>?</c>, a <c>[set]</c> or a literal) at <paramref name="p"/>, advancing past it on success.</summary>
    private static bool MatchOne(string pattern, ref int p, char c)
    {
        var element = pattern[p];
        if (element == '?')
        {
            p++;
            return true;
        }
        if (element == '[' && TryMatchSet(pattern, p, c, out var end, out var matched))
        {
            if (!matched) return false;
            p = end;
            return true;
        }
        if (element != c) return false;
        p++;
        return true;
    }

    /// <summary>Parses a set starting at <paramref name="start"/>; false when the '[' is unclosed (then it is a literal, as in fnmatch).</summary>
    private static bool TryMatchSet(string pattern, int start, char c, out int end, out bool matched)
    {
        var i = start + 1;
        var negate = i < pattern.Length && pattern[i] == '!';
        if (negate) i++;
        var first = i;
        matched = false;
        while (i < pattern.Length && (pattern[i] != ']' || i == first))
        {
            if (i + 2 < pattern.Length && pattern[i + 1] == '-' && pattern[i + 2] != ']')
            {
                if (c >= pattern[i] && c <= pattern[i + 2]) matched = true;
                i += 3;
            }
            else
            {
                if (c == pattern[i]) matched = true;
                i++;
            }
        }
        end = i + 1;
        if (i >= pattern.Length) return false;
        matched ^= negate;
        return true;
    }
}
