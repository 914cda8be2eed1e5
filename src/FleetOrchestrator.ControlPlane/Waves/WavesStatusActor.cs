using System.Collections.Immutable;
using Akka.Actor;
using FleetOrchestrator.Protocol.Decisions;

namespace FleetOrchestrator.ControlPlane.Waves;

/// <summary>The waves as persisted so far, told by <see cref="WavesActor"/> to its parent after recovery and after every event.</summary>
internal sealed record WavesChanged(ImmutableDictionary<string, WaveRecord> Waves);

/// <summary>
/// The waves singleton in front of <see cref="WavesActor"/> (its child): answers what <c>pbm waves status</c> asks from the
/// state the child last told it, and forwards everything else. A persistent actor holds every command while it persists,
/// and during a wave its writes queue behind the twins' in the same journal: status would wait seconds for that.
/// </summary>
public sealed class WavesStatusActor : ReceiveActor, IWithUnboundedStash
{
    private readonly IActorRef _waves;
    private ImmutableDictionary<string, WaveRecord> _state = WavesDecisions.Empty;

    public WavesStatusActor(Props waves)
    {
        _waves = Context.Watch(Context.ActorOf(waves, "waves"));
        // Until the child recovered, a query would find no wave: it waits.
        Receive<WavesChanged>(changed =>
        {
            _state = changed.Waves;
            Become(Recovered);
            Stash.UnstashAll();
        });
        Receive<GetWave>(_ => Stash.Stash());
        Receive<GetWaveDevices>(_ => Stash.Stash());
        Receive<ListWaves>(_ => Stash.Stash());
        Forwarding();
    }

    public IStash Stash { get; set; } = null!;

    public static Props PropsFor(Props waves) => Props.Create(() => new WavesStatusActor(waves));

    private void Recovered()
    {
        Receive<WavesChanged>(changed => _state = changed.Waves);
        Receive<GetWave>(get =>
        {
            if (_state.TryGetValue(get.Wave, out var wave)) Sender.Tell(new WaveAccepted(wave.Summary()));
            else Sender.Tell(new Refused(get.Wave, $"no wave {get.Wave}"));
        });
        Receive<GetWaveDevices>(get =>
        {
            if (!_state.TryGetValue(get.Wave, out var wave)) Sender.Tell(new Refused(get.Wave, $"no wave {get.Wave}"));
            else if (get.Stage < 0 || get.Stage >= wave.Stages.Count) Sender.Tell(new Refused(get.Wave, $"wave {get.Wave} has stages 0..{wave.Stages.Count - 1}, not {get.Stage}"));
            else Sender.Tell(new WaveDevices(get.Wave, get.Stage, wave.Stages[get.Stage].Devices, wave.Stages[get.Stage].Released));
        });
        Receive<ListWaves>(_ => Sender.Tell(new WaveList(_state.Values.OrderBy(w => w.Wave, StringComparer.Ordinal).Select(w => w.Summary()).ToList())));
        Forwarding();
    }

    /// <summary>Commands go to the child; when it stops (a failed write stops a persistent actor), the singleton stops with it, as it did without the front.</summary>
    private void Forwarding()
    {
        Receive<Terminated>(t => t.ActorRef.Equals(_waves), _ => Context.Stop(Self));
        ReceiveAny(message => _waves.Forward(message));
    }
}
