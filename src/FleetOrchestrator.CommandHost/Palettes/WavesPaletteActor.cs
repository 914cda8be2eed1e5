using System.Globalization;
using Akka.Actor;
using FleetOrchestrator.CommandProtocol;
using FleetOrchestrator.ControlPlane.Waves;

namespace FleetOrchestrator.CommandHost.Palettes;

/// <summary>The <c>waves</c> palette, backed by the <see cref="WavesActor"/> singleton.</summary>
public sealed class WavesPaletteActor(IActorRef waves, TimeSpan askTimeout) : PaletteActor(PaletteCatalog.Waves)
{
    public static readonly IReadOnlyList<string> StageColumns = ["stage", "selection", "status", "devices", "released", "succeeded", "failed", "pending", "reason"];
    public static readonly IReadOnlyList<string> ListColumns = ["wave", "tag", "target", "status", "stages", "devices", "reason"];
    private static readonly TimeSpan WatchInterval = TimeSpan.FromSeconds(2);

    protected override void Execute(CommandInvocation invocation, CommandOutput output)
    {
        var wave = invocation.Argument("wave") ?? "";
        switch (invocation.Command.Name)
        {
            case "init":
                Change(output, new InitWave(wave, invocation.Argument("version")!, invocation.Argument("tag")!));
                return;
            case "rollout":
                Change(output, new RolloutWave(wave, Selection(invocation), Gates(invocation)));
                return;
            case "pause": Change(output, new PauseWave(wave)); return;
            case "resume": Change(output, new ResumeWave(wave)); return;
            case "abort": Change(output, new AbortWave(wave, invocation.Flag("rollback"))); return;
            case "complete": Change(output, new CompleteWave(wave)); return;
            case "cancel": Change(output, new CancelWave(wave)); return;
            case "show":
                Run(output, async () => output.Value(await GetAsync(wave)));
                return;
            case "list":
                Run(output, async () => output.Table(ListColumns, (await ListAsync()).Select(w => (IReadOnlyList<string?>)
                    [w.Wave, w.Tag, w.Target, w.Status.ToString(), w.Stages.Count.ToString(CultureInfo.InvariantCulture), w.Devices.ToString(CultureInfo.InvariantCulture), w.Reason])));
                return;
            case "status":
                var watch = invocation.Flag("watch");
                Run(output, async () =>
                {
                    while (true)
                    {
                        var shown = invocation.Argument("wave") is { } name ? [await GetAsync(name)] : (await ListAsync()).Where(w => w.Status is WaveStatus.Active or WaveStatus.Paused).ToList();
                        foreach (var w in shown) Status(output, w, watch);
                        if (!watch || shown.All(w => w.Status is not (WaveStatus.Active or WaveStatus.Paused))) return;
                        await Task.Delay(WatchInterval);
                    }
                });
                return;
            default:
                NotImplemented(invocation, output);
                return;
        }
    }

    private static void Status(CommandOutput output, WaveSummary wave, bool asProgress)
    {
        var done = wave.Stages.Sum(s => s.Tally is { } t ? t.Succeeded + t.CountedFailed : 0);
        if (asProgress) output.Progress(wave.Wave, $"{wave.Status}: {wave.Reason ?? "running"}", done, Math.Max(wave.Devices, 1));
        output.Table(StageColumns, wave.Stages.Select(s => (IReadOnlyList<string?>)
        [
            s.Index.ToString(CultureInfo.InvariantCulture), Describe(s.Selection), s.Status.ToString(),
            s.Devices.ToString(CultureInfo.InvariantCulture), s.Released.ToString(CultureInfo.InvariantCulture),
            s.Tally?.Succeeded.ToString(CultureInfo.InvariantCulture), s.Tally?.CountedFailed.ToString(CultureInfo.InvariantCulture),
            s.Tally?.Pending.ToString(CultureInfo.InvariantCulture), s.Reason,
        ]), $"{wave.Wave}: {wave.Target} to tag {wave.Tag}, {wave.Status}");
    }

    private static string Describe(StageSelection s) =>
        string.Join(" ", new[]
        {
            s.Group is { } g ? $"group {g}" : null,
            s.DeviceIds is { } ids ? $"{ids.Count} listed" : null,
            s.Count is { } c ? $"{c} devices" : null,
            s.Percent is { } p ? $"{p}%" : null,
        }.OfType<string>().DefaultIfEmpty("all"));

    private static StageSelection Selection(CommandInvocation invocation)
    {
        var limit = invocation.String("limit");
        int? count = null;
        double? percent = null;
        if (limit is not null)
        {
            if (limit.EndsWith('%') && double.TryParse(limit[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var p)) percent = p;
            else if (int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out var n)) count = n;
            else throw new CommandFailedException(ErrorCodes.Usage, $"--limit takes N or N%, not \"{limit}\"", ExitCodes.Usage);
        }
        var devices = invocation.String("devices")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return new StageSelection(invocation.String("group"), devices, count, percent);
    }

    private static StageGates Gates(CommandInvocation invocation)
    {
        var defaults = new StageGates();
        return new StageGates(
            Percent(invocation, "success") ?? defaults.SuccessPercent,
            Percent(invocation, "failure") ?? defaults.FailurePercent,
            (int?)invocation.Integer("failure-count"),
            (int?)invocation.Integer("min-sample") ?? defaults.MinimumSample,
            invocation.Duration("bake"),
            invocation.Duration("timeout"),
            invocation.Flag("approval"),
            invocation.String("ramp") is { } ramp ? Number("ramp", ramp) : null);
    }

    private static double? Percent(CommandInvocation invocation, string name) =>
        invocation.String(name) is { } text ? Number(name, text.TrimEnd('%')) : null;

    private static double Number(string name, string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new CommandFailedException(ErrorCodes.Usage, $"--{name} takes a number, not \"{text}\"", ExitCodes.Usage);

    private void Change(CommandOutput output, IWaveCommand command) => Run(output, async () =>
        Status(output, (await AskAccepted<WaveAccepted>(waves, command, askTimeout)).Wave, asProgress: false));

    private async Task<WaveSummary> GetAsync(string wave) => (await AskAccepted<WaveAccepted>(waves, new GetWave(wave), askTimeout, ErrorCodes.NotFound)).Wave;

    private async Task<IReadOnlyList<WaveSummary>> ListAsync() => (await waves.Ask<WaveList>(ListWaves.Instance, askTimeout)).Waves;
}
