using FleetOrchestrator.CommandProtocol;
using Spectre.Console;

namespace FleetOrchestrator.Pbm;

/// <summary>
/// <c>pbm [--json] [--token T] &lt;host:port&gt; [&lt;palette&gt; &lt;command&gt; [args]...]</c>: one command, or the
/// interactive prompt when no palette is given. The token may also come from <c>PBM_TOKEN</c>.
/// </summary>
public static class PbmCommand
{
    public const string Usage = """
        usage:
          pbm [--json] [--token <token>] [--ca <ca.pem>] <host:port> <palette> <command> [<argument>] [--switch value]...
          pbm [--token <token>] [--ca <ca.pem>] <host:port>      interactive: help, tab completion, exit
        The token can also be given in PBM_TOKEN; --ca connects over TLS, trusting only that CA. keys commands read
        their key files (--key, --new-key) here and send only public keys and signatures; PBM_KEY_PASSPHRASE decrypts them. Exit codes: 0 ok, 1 failed, 2 usage, 3 forbidden, 4 not implemented, 5 unreachable.
        """;

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var rest = new List<string>();
        var json = false;
        var token = Environment.GetEnvironmentVariable("PBM_TOKEN");
        string? caFile = null;
        // --json and --token are pbm's own: taken out wherever they stand (no palette switch uses these names).
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--json") json = true;
            else if (args[i] == "--token" && i + 1 < args.Length) token = args[++i];
            else if (args[i] == "--ca" && i + 1 < args.Length) caFile = args[++i];
            else if (args[i] is "--help" or "-h" && rest.Count == 0)
            {
                stdout.WriteLine(Usage);
                return ExitCodes.Ok;
            }
            else rest.Add(args[i]);
        }
        if (rest.Count == 0 || !TryParseEndpoint(rest[0], out var host, out var port))
        {
            stderr.WriteLine(rest.Count == 0 ? "error: no host given" : $"error: \"{rest[0]}\" is not <host:port>");
            stderr.WriteLine(Usage);
            return ExitCodes.Usage;
        }
        if (rest.Count == 2)
        {
            stderr.WriteLine($"error: palette {rest[1]} needs a command");
            stderr.WriteLine(Usage);
            return ExitCodes.Usage;
        }
        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };
        try
        {
            using var ca = caFile is null ? null : PbmConnection.LoadCa(caFile);
            await using var connection = await PbmConnection.ConnectAsync(host, port, string.IsNullOrEmpty(token) ? null : token, cancel.Token, ca);
            IFrameRenderer renderer = json ? new JsonRenderer(stdout) : new ConsoleRenderer(ConsoleFor(stdout), stderr);
            if (rest.Count > 2)
            {
                var end = await RunCommandAsync(connection, rest[1], rest[2], rest.Skip(3).ToList(), renderer.Render, cancel.Token);
                return end.ExitCode;
            }
            return await InteractiveAsync(connection, $"{host}:{port}", renderer, stdout, stderr, cancel.Token);
        }
        catch (PbmException e)
        {
            if (json) stdout.WriteLine(System.Text.Json.JsonSerializer.Serialize<ServerFrame>(new EndFrame(e.ExitCode, "unavailable", e.Message), FrameCodec.Json));
            stderr.WriteLine($"error: {e.Message}");
            return e.ExitCode;
        }
        catch (OperationCanceledException)
        {
            stderr.WriteLine("cancelled");
            return 130;
        }
    }

    private static async Task<int> InteractiveAsync(PbmConnection connection, string endpoint, IFrameRenderer renderer, TextWriter stdout, TextWriter stderr, CancellationToken cancellation)
    {
        var palettes = connection.Welcome.Palettes;
        stdout.WriteLine($"connected to {connection.Welcome.Node} ({endpoint}) as {connection.Welcome.Role.ToString().ToLowerInvariant()}; " +
                         "type help, a palette and a command (tab completes), or exit");
        var editor = new LineEditor(line => CommandLineText.Complete(palettes, line));
        while (!cancellation.IsCancellationRequested)
        {
            var line = editor.ReadLine($"pbm {endpoint}> ");
            if (line is null) break;
            IReadOnlyList<string> words;
            try
            {
                words = CommandLineText.Split(line);
            }
            catch (FormatException e)
            {
                stderr.WriteLine($"error: {e.Message}");
                continue;
            }
            if (words.Count == 0) continue;
            if (words[0] is "exit" or "quit") break;
            if (words[0] == "help")
            {
                stdout.Write(Help.Text(palettes, words.Skip(1).ToList()));
                continue;
            }
            if (words.Count == 1)
            {
                stderr.WriteLine($"error: {words[0]} needs a command; try help {words[0]}");
                continue;
            }
            // Errors are printed; the session goes on and ends with 0 (exit codes are for one-shot use).
            await RunCommandAsync(connection, words[0], words[1], words.Skip(2).ToList(), renderer.Render, cancellation);
        }
        return ExitCodes.Ok;
    }

    /// <summary>One command: the keys commands that sign offline run around the wire in pbm (<see cref="OfflineKeys"/>), the rest on the host.</summary>
    public static Task<EndFrame> RunCommandAsync(PbmConnection connection, string palette, string command, IReadOnlyList<string> arguments, Action<ServerFrame> render, CancellationToken cancellation) =>
        OfflineKeys.Handles(palette, command)
            ? OfflineKeys.RunAsync(connection, command, arguments, render, cancellation)
            : connection.RunAsync(palette, command, arguments, render, cancellation);

    private static IAnsiConsole ConsoleFor(TextWriter stdout)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(stdout) });
        // Redirected output has no terminal width: use a wide one so tables are not wrapped for pipes and files.
        if (Console.IsOutputRedirected) console.Profile.Width = 240;
        return console;
    }

    internal static bool TryParseEndpoint(string text, out string host, out int port)
    {
        host = "";
        port = 0;
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), out port) || port is < 1 or > 65535) return false;
        host = text[..colon].Trim('[', ']');
        return host.Length > 0;
    }
}

/// <summary>Help text from the palettes the host sent.</summary>
public static class Help
{
    public static string Text(IReadOnlyList<PaletteDefinition> palettes, IReadOnlyList<string> topic)
    {
        var text = new System.Text.StringBuilder();
        if (topic.Count == 0)
        {
            foreach (var palette in palettes)
                text.AppendLine($"{palette.Name,-18} {palette.Help}: {string.Join(", ", palette.Commands.Select(c => c.Name))}");
            text.AppendLine("help <palette> shows its commands; exit leaves.");
            return text.ToString();
        }
        if (palettes.FirstOrDefault(p => p.Name == topic[0]) is not { } selected)
            return $"no palette \"{topic[0]}\"; palettes: {string.Join(", ", palettes.Select(p => p.Name))}\n";
        foreach (var command in selected.Commands.Where(c => topic.Count < 2 || c.Name == topic[1]))
        {
            text.AppendLine($"{selected.Name} {command.Usage()}");
            text.AppendLine($"    {command.Help} (role {command.Role.ToString().ToLowerInvariant()})");
            foreach (var argument in command.Arguments) text.AppendLine($"    <{argument.Name}>  {argument.Help}");
            foreach (var option in command.Switches) text.AppendLine($"    --{option.Name}  {option.Help}");
        }
        return text.ToString();
    }
}
