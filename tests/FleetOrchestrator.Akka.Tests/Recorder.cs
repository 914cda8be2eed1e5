using Akka.Actor;
using Akka.Persistence;

namespace FleetOrchestrator.Infrastructure.Tests;

/// <summary>
/// Persists every <typeparamref name="T"/> it is told and answers <c>"seen"</c> with all of them, recovered ones first.
/// Commands arriving while it recovers or persists are stashed and handed back in order.
/// </summary>
internal sealed class Recorder<T>(string persistenceId) : UntypedPersistentActor where T : notnull
{
    private readonly List<T> _seen = [];

    public override string PersistenceId => persistenceId;

    public static Props PropsFor(string persistenceId) => Props.Create(() => new Recorder<T>(persistenceId));

    protected override void OnRecover(object message)
    {
        if (message is T item) _seen.Add(item);
    }

    protected override void OnCommand(object message)
    {
        switch (message)
        {
            case "seen":
                Sender.Tell(_seen.ToArray());
                break;
            case T item:
                Persist(item, _seen.Add);
                break;
        }
    }
}
