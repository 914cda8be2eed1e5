using System.Text;

namespace FleetOrchestrator.ComposeApps.Benchmarks;

/// <summary>A seeded tree that looks like an app: many small text files and a few large binaries.</summary>
internal static class MixedTree
{
    private static readonly string[] Words =
        ["service", "image", "volume", "network", "config", "device", "fleet", "update", "the", "a", "of", "to",
         "return", "import", "def", "class", "if", "else", "for", "in", "value", "name", "port", "8080", "true", "false"];

    /// <summary>A quarter of the bytes go to small text files (1–16 KiB), the rest to eight binaries.</summary>
    public static (int Files, long Bytes, int LargeFiles) Generate(string root, long totalBytes, int seed)
    {
        var random = new Random(seed);
        var files = 0;
        long written = 0;

        var textBudget = totalBytes / 4;
        while (written < textBudget)
        {
            var path = Path.Combine(root, $"src/module{files % 40:D2}/part{files / 40 % 10}/file{files:D5}.txt");
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var size = random.Next(1024, 16 * 1024);
            File.WriteAllText(path, Text(random, size));
            written += size;
            files++;
        }

        const int LargeFiles = 8;
        var binarySize = (totalBytes - written) / LargeFiles;
        Directory.CreateDirectory(Path.Combine(root, "assets"));
        for (var i = 0; i < LargeFiles; i++)
        {
            File.WriteAllBytes(Path.Combine(root, "assets", $"blob{i}.bin"), Binary(random, (int)binarySize));
            written += binarySize;
            files++;
        }

        File.WriteAllText(Path.Combine(root, "docker-compose.yml"), "services:\n  app:\n    image: example/app:1\n");
        return (files + 1, written, LargeFiles);
    }

    /// <summary>Reads every file once so both contenders start from a warm page cache.</summary>
    public static void WarmPageCache(string root)
    {
        var buffer = new byte[1 << 20];
        foreach (var file in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories))
        {
            using var stream = File.OpenRead(file);
            while (stream.Read(buffer) > 0)
            {
            }
        }
    }

    private static string Text(Random random, int size)
    {
        var text = new StringBuilder(size + 16);
        while (text.Length < size)
        {
            text.Append(Words[random.Next(Words.Length)]).Append(random.Next(12) == 0 ? '\n' : ' ');
        }

        return text.ToString(0, size);
    }

    /// <summary>"Random-ish": stretches of random bytes mixed with repeated records, like real binaries.</summary>
    private static byte[] Binary(Random random, int size)
    {
        var bytes = new byte[size];
        var record = new byte[64];
        random.NextBytes(record);
        for (var offset = 0; offset < size; offset += 4096)
        {
            var block = bytes.AsSpan(offset, Math.Min(4096, size - offset));
            if (random.Next(2) == 0)
            {
                random.NextBytes(block);
            }
            else
            {
                for (var i = 0; i < block.Length; i++)
                {
                    block[i] = (byte)(record[i % record.Length] + (i / 256));
                }
            }
        }

        return bytes;
    }
}
