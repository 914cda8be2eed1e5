using System.Net;

namespace FleetOrchestrator.CommandHost;

/// <summary>How failed token presentations are throttled (<c>fleet.command-host.token-throttle</c>).</summary>
/// <param name="BaseDelay">After the first failure from an address, hellos from it are refused this long; each further failure doubles it.</param>
/// <param name="MaxDelay">The longest an address is refused.</param>
/// <param name="MaxAddresses">Addresses remembered at most; when full, the stale ones are forgotten, else the one whose window ends first.</param>
/// <param name="ForgetAfter">An address is forgotten (its count starts again) this long after its refusal window ended.</param>
public sealed record TokenThrottleSettings(TimeSpan BaseDelay, TimeSpan MaxDelay, int MaxAddresses, TimeSpan ForgetAfter)
{
    public string? Problem =>
        BaseDelay <= TimeSpan.Zero ? "fleet.command-host.token-throttle.base-delay must be positive"
        : MaxDelay < BaseDelay ? "fleet.command-host.token-throttle.max-delay must be at least base-delay"
        : MaxAddresses < 1 ? "fleet.command-host.token-throttle.max-addresses must be at least 1"
        : ForgetAfter < TimeSpan.Zero ? "fleet.command-host.token-throttle.forget-after must not be negative"
        : null;
}

/// <summary>A hello from a throttled address: refused until <see cref="Until"/>; <see cref="FirstInWindow"/> says to log it (once per window).</summary>
public readonly record struct ThrottleRefusal(DateTimeOffset Until, int Failures, bool FirstInWindow);

/// <summary>
/// Exponential back-off of failed operator tokens per source address: after the n-th failure in a row, hellos from
/// that address are refused for min(base × 2^(n-1), max) without looking at their token; a success forgets the
/// address. The table is bounded (<see cref="TokenThrottleSettings.MaxAddresses"/>). Thread-safe: sessions call it
/// concurrently, and it never waits, so one address's penalty never delays another's sessions.
/// </summary>
public sealed class FailedTokenThrottle(TokenThrottleSettings settings, TimeProvider time)
{
    private sealed class Record
    {
        public int Failures;
        public DateTimeOffset Until;
        public bool Logged;
    }

    private readonly Dictionary<IPAddress, Record> _records = [];

    public int Count
    {
        get { lock (_records) return _records.Count; }
    }

    /// <summary>Null when a hello from <paramref name="address"/> may present its token now, else the refusal.</summary>
    public ThrottleRefusal? Check(IPAddress address)
    {
        address = Key(address);
        lock (_records)
        {
            if (!_records.TryGetValue(address, out var record) || record.Until <= time.GetUtcNow()) return null;
            var first = !record.Logged;
            record.Logged = true;
            return new ThrottleRefusal(record.Until, record.Failures, first);
        }
    }

    /// <summary>Records a failed token from <paramref name="address"/>; returns until when it is refused.</summary>
    public DateTimeOffset Failed(IPAddress address)
    {
        address = Key(address);
        var now = time.GetUtcNow();
        lock (_records)
        {
            if (!_records.TryGetValue(address, out var record))
            {
                if (_records.Count >= settings.MaxAddresses) MakeRoom(now);
                _records[address] = record = new Record();
            }
            else if (record.Until + settings.ForgetAfter < now) record.Failures = 0;
            record.Failures++;
            record.Until = now + Delay(record.Failures);
            record.Logged = false;
            return record.Until;
        }
    }

    /// <summary>A token from <paramref name="address"/> was accepted: its failures are forgotten.</summary>
    public void Succeeded(IPAddress address)
    {
        address = Key(address);
        lock (_records) _records.Remove(address);
    }

    /// <summary>base × 2^(failures-1), at most the maximum.</summary>
    public TimeSpan Delay(int failures)
    {
        var exponent = Math.Min(failures - 1, 40);
        var ticks = settings.BaseDelay.Ticks * Math.Pow(2, exponent);
        return ticks >= settings.MaxDelay.Ticks ? settings.MaxDelay : TimeSpan.FromTicks((long)ticks);
    }

    /// <summary>Forgets addresses whose window ended longer than forget-after ago; if none, the one with the oldest failure.</summary>
    private void MakeRoom(DateTimeOffset now)
    {
        foreach (var stale in _records.Where(r => r.Value.Until + settings.ForgetAfter < now).Select(r => r.Key).ToList()) _records.Remove(stale);
        if (_records.Count >= settings.MaxAddresses) _records.Remove(_records.MinBy(r => r.Value.Until).Key);
    }

    // IPv4 clients of a dual-stack listener arrive as ::ffff:a.b.c.d: one address, one record.
    private static IPAddress Key(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}
