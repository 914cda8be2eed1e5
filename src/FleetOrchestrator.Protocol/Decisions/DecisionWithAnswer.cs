namespace FleetOrchestrator.Protocol.Decisions;

/// <summary>
/// A <see cref="Decision{TEvent}"/> whose answer is computed with it, because only the decision knows it (the name of
/// a wave's target, the versions a change signs, a root that waits for offline signatures): the actor persists
/// <see cref="Events"/>, then answers from <see cref="Answer"/>; a refusal has no answer.
/// </summary>
public readonly record struct Decision<TEvent, TAnswer>(Decision<TEvent> Outcome, TAnswer? Answer)
{
    public IReadOnlyList<TEvent> Events => Outcome.Events;

    public string? Refusal => Outcome.Refusal;

    public bool IsRefused => Outcome.IsRefused;

    public static Decision<TEvent, TAnswer> Accept(IReadOnlyList<TEvent> events, TAnswer answer) => new(Decision<TEvent>.Accept(events), answer);

    public static Decision<TEvent, TAnswer> Refuse(string reason) => new(Decision<TEvent>.Refuse(reason), default);
}
