using System.Text.Json;
using System.Text.Json.Nodes;
using FleetOrchestrator.CommandProtocol;
using Spectre.Console;

namespace FleetOrchestrator.Pbm;

/// <summary>Prints a command's frames as they arrive.</summary>
public interface IFrameRenderer
{
    void Render(ServerFrame frame);
}

/// <summary>For people: text lines, tables, progress bars and indented JSON via Spectre.Console; errors on stderr.</summary>
public sealed class ConsoleRenderer(IAnsiConsole output, TextWriter errors) : IFrameRenderer
{
    private const int BarWidth = 24;
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public void Render(ServerFrame frame)
    {
        switch (frame)
        {
            case LineFrame line:
                output.WriteLine(line.Text);
                break;
            case TableFrame table:
                var grid = new Table().Border(TableBorder.Rounded);
                if (table.Title is { } title) grid.Title(Markup.Escape(title));
                foreach (var column in table.Columns) grid.AddColumn(new TableColumn(Markup.Escape(column)));
                foreach (var row in table.Rows) grid.AddRow(row.Select(cell => (Spectre.Console.Rendering.IRenderable)new Text(cell ?? "")).ToArray());
                output.Write(grid);
                break;
            case ProgressFrame progress:
                output.MarkupLine(ProgressMarkup(progress));
                break;
            case ValueFrame value:
                output.WriteLine(JsonSerializer.Serialize(value.Value, Indented));
                break;
            case EndFrame { ExitCode: not ExitCodes.Ok } end:
                errors.WriteLine($"error: {end.Message ?? end.Error ?? $"exit code {end.ExitCode}"}");
                break;
        }
    }

    /// <summary>A bar when the step is countable, else a marker; the text escaped (it comes from the host).</summary>
    public static string ProgressMarkup(ProgressFrame progress)
    {
        var text = $"[bold]{Markup.Escape(progress.Task)}[/] {Markup.Escape(progress.Message)}";
        if (progress is not { Done: { } done, Total: { } total and > 0 }) return $"[grey]>[/] {text}";
        var filled = (int)Math.Clamp(done * BarWidth / total, 0, BarWidth);
        return $"[green]{new string('#', filled)}[/][grey]{new string('-', BarWidth - filled)}[/] {done}/{total} {text}";
    }
}

/// <summary>For scripts (<c>--json</c>): one JSON object per frame and line, table rows as objects keyed by column.</summary>
public sealed class JsonRenderer(TextWriter output) : IFrameRenderer
{
    public void Render(ServerFrame frame)
    {
        if (frame is TableFrame table)
        {
            var rows = new JsonArray();
            foreach (var row in table.Rows)
            {
                var obj = new JsonObject();
                for (var i = 0; i < table.Columns.Count; i++) obj[table.Columns[i]] = i < row.Count ? row[i] : null;
                rows.Add(obj);
            }
            var json = new JsonObject { ["type"] = "table" };
            if (table.Title is not null) json["title"] = table.Title;
            json["rows"] = rows;
            output.WriteLine(json.ToJsonString());
            return;
        }
        output.WriteLine(JsonSerializer.Serialize(frame, FrameCodec.Json));
    }
}
