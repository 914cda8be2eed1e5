using System.Text;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace FleetOrchestrator.ComposeApps.Compose;

/// <summary>
/// A docker-compose.yml loaded as a YAML node tree, so that pinning rewrites only what it must and
/// keeps the rest of the file (keys, order, scalar styles) as the author wrote it.
/// </summary>
public sealed class ComposeFile
{
    public const string FileName = "docker-compose.yml";
    public const long MaxBytes = 1024 * 1024;
    /// <summary>Nesting deeper than this is no compose file; it also keeps the tree loader's recursion bounded.</summary>
    public const int MaxDepth = 64;
    /// <summary>Nodes counted with every alias expanded: stops alias bombs ("billion laughs").</summary>
    public const long MaxExpandedNodes = 200_000;

    private readonly YamlMappingNode _root;

    private ComposeFile(YamlMappingNode root, IReadOnlyList<ComposeService> services)
    {
        _root = root;
        Services = services;
    }

    public IReadOnlyList<ComposeService> Services { get; }

    /// <summary>Reads at most <see cref="MaxBytes"/> bytes; a larger file is refused before parsing.</summary>
    public static ComposeFile Load(string path)
    {
        if (new FileInfo(path).LinkTarget is { } link)
            throw new ComposeFileException(path, $"is a symbolic link (to {link}); the compose file must be a regular file");
        using var stream = File.OpenRead(path);
        if (stream.Length > MaxBytes)
            throw new ComposeFileException(path, $"is {stream.Length} bytes; the limit is {MaxBytes} bytes (1 MiB)");
        var buffer = new byte[stream.Length];
        stream.ReadExactly(buffer);
        return Parse(buffer, path);
    }

    public static ComposeFile Parse(ReadOnlySpan<byte> content, string source)
    {
        if (content.Length > MaxBytes)
            throw new ComposeFileException(source, $"is {content.Length} bytes; the limit is {MaxBytes} bytes (1 MiB)");
        string text;
        try { text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(content); }
        catch (DecoderFallbackException) { throw new ComposeFileException(source, "is not valid UTF-8"); }

        CheckShape(text, source);
        var stream = new YamlStream();
        try { stream.Load(new StringReader(text)); }
        catch (YamlException e) { throw new ComposeFileException(source, $"is not valid YAML: {Describe(e)}"); }

        if (stream.Documents.Count != 1)
            throw new ComposeFileException(source, $"holds {stream.Documents.Count} YAML documents; a compose file is exactly one");
        if (stream.Documents[0].RootNode is not YamlMappingNode root)
            throw new ComposeFileException(source, "must be a mapping at the top level");
        var expanded = new ExpansionCounter();
        if (expanded.Count(root) > MaxExpandedNodes)
            throw new ComposeFileException(source, $"expands to more than {MaxExpandedNodes} nodes through aliases (alias bomb?)");

        if (!root.Children.TryGetValue(new YamlScalarNode("services"), out var servicesNode) || servicesNode is not YamlMappingNode servicesMap)
            throw new ComposeFileException(source, "has no 'services' mapping");
        var services = new List<ComposeService>();
        foreach (var (key, value) in servicesMap.Children)
        {
            var name = ((YamlScalarNode)key).Value ?? "";
            if (value is not YamlMappingNode serviceMap)
                throw new ComposeFileException(source, $"service '{name}' must be a mapping");
            services.Add(new ComposeService(name, serviceMap));
        }
        if (services.Count == 0) throw new ComposeFileException(source, "defines no services");
        return new ComposeFile(root, services);
    }

    /// <summary>Writes the (possibly rewritten) file back as YAML.</summary>
    public byte[] ToBytes()
    {
        var writer = new StringWriter { NewLine = "\n" };
        new YamlStream(new YamlDocument(_root)).Save(writer, assignAnchors: false);
        var text = writer.ToString();
        // The emitter closes the document with "...": not wrong, but not what people write.
        if (text.EndsWith("...\n", StringComparison.Ordinal)) text = text[..^4];
        return Encoding.UTF8.GetBytes(text);
    }

    /// <summary>Event-level pre-scan: nesting depth and event count, before the recursive tree loader runs.</summary>
    private static void CheckShape(string text, string source)
    {
        var parser = new Parser(new StringReader(text));
        var depth = 0;
        long events = 0;
        try
        {
            while (parser.MoveNext())
            {
                if (++events > MaxExpandedNodes * 2)
                    throw new ComposeFileException(source, $"has more than {MaxExpandedNodes * 2} YAML events");
                switch (parser.Current)
                {
                    case MappingStart or SequenceStart:
                        if (++depth > MaxDepth)
                            throw new ComposeFileException(source, $"nests deeper than {MaxDepth} levels at {parser.Current.Start}");
                        break;
                    case MappingEnd or SequenceEnd:
                        depth--;
                        break;
                }
            }
        }
        catch (YamlException e) { throw new ComposeFileException(source, $"is not valid YAML: {Describe(e)}"); }
    }

    private static string Describe(YamlException e) =>
        $"line {e.Start.Line}, column {e.Start.Column}: {(e.InnerException?.Message ?? e.Message)}";

    /// <summary>Counts nodes as if every alias were expanded, memoised per node so the count itself stays cheap.</summary>
    private sealed class ExpansionCounter
    {
        private readonly Dictionary<YamlNode, long> _sizes = new(ReferenceEqualityComparer.Instance);

        public long Count(YamlNode node)
        {
            if (_sizes.TryGetValue(node, out var known)) return known;
            _sizes[node] = MaxExpandedNodes + 1; // a cycle counts as too big
            long size = 1;
            switch (node)
            {
                case YamlMappingNode map:
                    foreach (var (k, v) in map.Children) size = Math.Min(size + Count(k) + Count(v), MaxExpandedNodes + 1);
                    break;
                case YamlSequenceNode seq:
                    foreach (var item in seq.Children) size = Math.Min(size + Count(item), MaxExpandedNodes + 1);
                    break;
            }
            _sizes[node] = size;
            return size;
        }
    }
}

/// <summary>A compose file that cannot be published; the message names the file and what is wrong.</summary>
public sealed class ComposeFileException(string file, string problem) : Exception($"{file} {problem}");
