namespace FleetOrchestrator.Protocol.Decisions;

/// <summary>
/// What a pure state type decides about one command: the events to persist (none when the command changes
/// nothing), or the reason it is refused. Every state type answers commands in this one shape, so an actor
/// persists <see cref="Events"/> or answers <see cref="Refused"/> without knowing the feature.
/// </summary>
public readonly record struct Decision<TEvent>
{
    private readonly IReadOnlyList<TEvent>? _events;

    private Decision(IReadOnlyList<TEvent> events, string? refusal)
    {
        _events = events;
        Refusal = refusal;
    }

    /// <summary>The events to persist, in order; empty when refused or when nothing changes.</summary>
    public IReadOnlyList<TEvent> Events => _events ?? [];

    /// <summary>Why the command is refused; null when it is accepted.</summary>
    public string? Refusal { get; }

    public bool IsRefused => Refusal is not null;

    /// <summary>Accepted, and nothing changes (an idempotent repeat).</summary>
    public static Decision<TEvent> Unchanged { get; } = new([], null);

    public static Decision<TEvent> Accept(TEvent e) => new([e], null);

    public static Decision<TEvent> Accept(IReadOnlyList<TEvent> events) => new(events, null);

    public static Decision<TEvent> Refuse(string reason) =>
        new([], string.IsNullOrWhiteSpace(reason) ? throw new ArgumentException("a refusal names its reason", nameof(reason)) : reason);

    /// <summary>Refused with <paramref name="refusal"/> when it is not null, else decided by <paramref name="accept"/>.</summary>
    public static Decision<TEvent> RefuseOr(string? refusal, Func<Decision<TEvent>> accept) => refusal is null ? accept() : Refuse(refusal);

    /// <summary>The single event of an accepted decision, or default when there is none.</summary>
    public TEvent? Single => Events.Count == 1 ? Events[0] : default;
}
