using Akka.Actor;
using Akka.Configuration;
using Akka.Dispatch;
using Akka.Dispatch.MessageQueues;

namespace FleetOrchestrator.Infrastructure.Hosting;

/// <summary>
/// A deque mailbox for actors that live by the hundred thousand and mostly sit idle (device twins). Akka's default
/// for persistent actors wraps a <c>ConcurrentQueue</c>, whose first segment alone is ≈ 1 KB per actor even when
/// empty; this one holds an empty array until the first message and grows from four slots. One lock guards it:
/// a twin sees a handful of messages at a time, so contention is not what costs here — memory is.
/// </summary>
public sealed class CompactMailbox(Settings settings, Config config) : MailboxType(settings, config), IProducesMessageQueue<CompactDequeMessageQueue>
{
    /// <summary>Where the mailbox is configured (<see cref="Hocon"/>); give it to <c>Props.WithMailbox</c>.</summary>
    public const string ConfigPath = "fleet.compact-mailbox";

    public static string Hocon => $"{ConfigPath}.mailbox-type = \"{typeof(CompactMailbox).AssemblyQualifiedName}\"";

    public override IMessageQueue Create(IActorRef owner, ActorSystem system) => new CompactDequeMessageQueue();
}

/// <summary>An unbounded double-ended queue of envelopes on a ring buffer: many producers, one consumer, prepend for unstash.</summary>
public sealed class CompactDequeMessageQueue : IMessageQueue, IUnboundedDequeBasedMessageQueueSemantics
{
    private readonly object _gate = new();
    private Envelope[] _items = [];
    private int _head;
    private volatile int _count;

    public bool HasMessages => _count > 0;

    public int Count => _count;

    public void Enqueue(IActorRef receiver, Envelope envelope)
    {
        lock (_gate)
        {
            GrowIfFull();
            _items[(_head + _count) % _items.Length] = envelope;
            _count++;
        }
    }

    /// <summary>Puts <paramref name="envelope"/> in front of every queued one (how a stash hands messages back).</summary>
    public void EnqueueFirst(Envelope envelope)
    {
        lock (_gate)
        {
            GrowIfFull();
            _head = (_head - 1 + _items.Length) % _items.Length;
            _items[_head] = envelope;
            _count++;
        }
    }

    public bool TryDequeue(out Envelope envelope)
    {
        lock (_gate)
        {
            if (_count == 0)
            {
                envelope = default;
                return false;
            }
            envelope = _items[_head];
            _items[_head] = default; // the message must not outlive its processing
            _head = (_head + 1) % _items.Length;
            _count--;
            return true;
        }
    }

    public void CleanUp(IActorRef owner, IMessageQueue deadletters)
    {
        while (TryDequeue(out var envelope)) deadletters.Enqueue(owner, envelope);
    }

    private void GrowIfFull()
    {
        if (_count < _items.Length) return;
        var grown = new Envelope[Math.Max(4, _items.Length * 2)];
        for (var i = 0; i < _count; i++) grown[i] = _items[(_head + i) % _items.Length];
        _items = grown;
        _head = 0;
    }
}
