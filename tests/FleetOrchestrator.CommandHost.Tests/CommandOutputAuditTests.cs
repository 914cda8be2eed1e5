using System.Collections.Concurrent;
using System.Threading.Channels;
using Akka.Actor;
using FleetOrchestrator.CommandHost.Palettes;
using FleetOrchestrator.CommandProtocol;
using FleetOrchestrator.ControlPlane.Audit;

namespace FleetOrchestrator.CommandHost.Tests;

/// <summary>The output actor of an audited command: the end frame waits for the journal, and says so when the journal does not answer.</summary>
public sealed class CommandOutputAuditTests : IDisposable
{
    private static readonly OperatorIdentity Alice = new("alice", OperatorRole.Operator);
    private readonly ActorSystem _system = ActorSystem.Create("output-audit");
    private readonly ConcurrentQueue<AuditEntry> _recorded = new();

    private sealed class RecordingJournal : ReceiveActor
    {
        public RecordingJournal(ConcurrentQueue<AuditEntry> recorded) => Receive<RecordAuditEntry>(record =>
        {
            recorded.Enqueue(record.Entry);
            Sender.Tell(new AuditEntryStored(recorded.Count));
        });
    }

    public void Dispose() => _system.Dispose();

    private IActorRef Output(ChannelWriter<ServerFrame> channel, IActorRef journal, TimeSpan timeout)
    {
        var pending = new CommandAuditor.Pending(new CommandAuditor(journal, "node-1", TimeProvider.System, timeout),
            CommandParser.Parse(PaletteCatalog.All, "groups", "create", ["lab"]), Alice);
        return _system.ActorOf(Props.Create(() => new CommandOutputActor(channel, TimeSpan.FromMinutes(1), pending)));
    }

    private static async Task<IReadOnlyList<ServerFrame>> FramesAsync(ChannelReader<ServerFrame> reader)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var frames = new List<ServerFrame>();
        await foreach (var frame in reader.ReadAllAsync(timeout.Token)) frames.Add(frame);
        return frames;
    }

    [Fact]
    public async Task The_end_frame_is_written_only_after_the_entry_is_recorded()
    {
        var recordedWhenEnded = -1;
        var channel = Channel.CreateUnbounded<ServerFrame>();
        var output = Output(channel.Writer, _system.ActorOf(Props.Create(() => new RecordingJournal(_recorded))), TimeSpan.FromSeconds(10));

        output.Tell(new LineFrame("created group lab"));
        output.Tell(EndFrame.Ok);
        var frames = new List<ServerFrame>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await foreach (var frame in channel.Reader.ReadAllAsync(timeout.Token))
        {
            if (frame is EndFrame) recordedWhenEnded = _recorded.Count;
            frames.Add(frame);
        }

        Assert.Equal([new LineFrame("created group lab"), EndFrame.Ok], frames);
        Assert.Equal(1, recordedWhenEnded);
        Assert.Equal(("alice", "groups", "create", AuditEntry.Accepted), (_recorded.Single().Operator, _recorded.Single().Palette, _recorded.Single().Command, _recorded.Single().Outcome));
    }

    [Fact]
    public async Task A_silent_journal_turns_the_answer_into_audit_failed()
    {
        var channel = Channel.CreateUnbounded<ServerFrame>();
        var output = Output(channel.Writer, _system.ActorOf(Props.Empty), TimeSpan.FromMilliseconds(200));

        output.Tell(EndFrame.Ok);
        var frames = await FramesAsync(channel.Reader);

        Assert.Equal([new EndFrame(ExitCodes.Failed, ErrorCodes.AuditFailed,
            "groups create succeeded and its change stands, but its audit journal entry was not recorded: the audit journal did not confirm it within 0.2 s")], frames);
    }

    [Fact]
    public async Task A_command_whose_operator_hung_up_is_recorded_when_it_ends()
    {
        var channel = Channel.CreateUnbounded<ServerFrame>();
        channel.Writer.TryComplete(); // the session is gone
        var output = Output(channel.Writer, _system.ActorOf(Props.Create(() => new RecordingJournal(_recorded))), TimeSpan.FromSeconds(10));

        output.Tell(new LineFrame("progress nobody reads"));
        output.Tell(new EndFrame(ExitCodes.Failed, ErrorCodes.Failed, "group lab already exists"));
        for (var waited = 0; _recorded.IsEmpty && waited < 300; waited++) await Task.Delay(100);

        var entry = Assert.Single(_recorded);
        Assert.Equal((AuditEntry.Failed, "group lab already exists"), (entry.Outcome, entry.Reason));
    }
}
