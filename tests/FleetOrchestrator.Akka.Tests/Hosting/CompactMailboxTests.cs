using Akka.Actor;
using Akka.Configuration;
using Akka.TestKit.Xunit2;
using FleetOrchestrator.Infrastructure.Hosting;

namespace FleetOrchestrator.Infrastructure.Tests.Hosting;

public sealed class CompactDequeMessageQueueTests
{
    private static Envelope Message(int n) => new(n, ActorRefs.NoSender);

    private static List<int> Drain(CompactDequeMessageQueue queue)
    {
        var drained = new List<int>();
        while (queue.TryDequeue(out var envelope)) drained.Add((int)envelope.Message);
        return drained;
    }

    [Fact]
    public void Messages_come_out_in_the_order_they_went_in_across_growth_and_wrap_around()
    {
        var queue = new CompactDequeMessageQueue();
        var expected = new List<int>();
        var next = 0;
        // Interleave so the ring's head moves before each growth: every copy must keep the order.
        for (var round = 0; round < 6; round++)
        {
            for (var i = 0; i < 7; i++) queue.Enqueue(ActorRefs.Nobody, Message(next++));
            for (var i = 0; i < 3; i++)
            {
                Assert.True(queue.TryDequeue(out var envelope));
                expected.Add((int)envelope.Message);
            }
        }
        expected.AddRange(Drain(queue));

        Assert.Equal(Enumerable.Range(0, next), expected);
        Assert.False(queue.HasMessages);
        Assert.Equal(0, queue.Count);
    }

    [Fact]
    public void Enqueue_first_puts_messages_in_front_as_an_unstash_does()
    {
        var queue = new CompactDequeMessageQueue();
        queue.Enqueue(ActorRefs.Nobody, Message(10));
        queue.Enqueue(ActorRefs.Nobody, Message(11));
        Assert.True(queue.TryDequeue(out _)); // head moved off slot 0
        // A stash hands back its messages last-first, so they keep their original order.
        foreach (var stashed in new[] { 3, 2, 1 }) queue.EnqueueFirst(Message(stashed));

        Assert.Equal(4, queue.Count);
        Assert.Equal([1, 2, 3, 11], Drain(queue));
    }

    [Fact]
    public void Clean_up_hands_what_is_left_to_dead_letters_in_order()
    {
        var queue = new CompactDequeMessageQueue();
        var deadLetters = new CompactDequeMessageQueue();
        for (var i = 0; i < 5; i++) queue.Enqueue(ActorRefs.Nobody, Message(i));

        queue.CleanUp(ActorRefs.Nobody, deadLetters);

        Assert.False(queue.HasMessages);
        Assert.Equal([0, 1, 2, 3, 4], Drain(deadLetters));
    }
}

/// <summary>A persistent actor (it stashes while recovering and persisting) runs on the compact mailbox.</summary>
public sealed class CompactMailboxActorTests() : TestKit(ConfigurationFactory.ParseString(CompactMailbox.Hocon)
    .WithFallback("akka.persistence.journal.plugin = \"akka.persistence.journal.inmem\"\nakka.persistence.snapshot-store.plugin = \"akka.persistence.snapshot-store.inmem\""))
{
    [Fact]
    public void Commands_stashed_during_persist_are_handled_in_order_and_survive_a_restart()
    {
        var counter = Sys.ActorOf(Recorder<int>.PropsFor("counter").WithMailbox(CompactMailbox.ConfigPath));
        for (var i = 0; i < 50; i++) counter.Tell(i);
        counter.Tell("seen");
        Assert.Equal(Enumerable.Range(0, 50), ExpectMsg<int[]>());

        Watch(counter);
        counter.Tell(PoisonPill.Instance);
        ExpectTerminated(counter);
        var recovered = Sys.ActorOf(Recorder<int>.PropsFor("counter").WithMailbox(CompactMailbox.ConfigPath));
        recovered.Tell("seen");
        Assert.Equal(Enumerable.Range(0, 50), ExpectMsg<int[]>());
    }
}
