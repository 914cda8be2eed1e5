using System.Globalization;
using System.Net;

namespace FleetOrchestrator.Node.Gateway;

/// <summary>
/// Registrations per source address (<c>POST /devices</c>): a token bucket (<see cref="RegistrationLimits.Burst"/>, then
/// <see cref="RegistrationLimits.PerMinute"/>) bounds what even a leaked token can create; a failure (a wrong token, or an
/// attempt over the rate) blocks the address for <see cref="RegistrationLimits.FailureBackoff"/>, doubling per failure up
/// to <see cref="RegistrationLimits.MaxFailureBackoff"/>, so guessing tokens is slow. A blocked address gets 429 with
/// Retry-After and reaches neither the CA nor a twin. At most <see cref="RegistrationLimits.MaxAddresses"/> addresses are
/// tracked: when full, idle ones are dropped, then the oldest.
/// </summary>
public sealed class RegistrationThrottle(RegistrationLimits limits, TimeProvider time)
{
    private sealed class Address(double tokens, long at)
    {
        public double Tokens = tokens;
        public long RefilledAt = at;
        public int Failures;
        public long BlockedUntil;
        public long LastFailureAt;
    }

    private readonly Dictionary<IPAddress, Address> _addresses = [];
    private readonly Lock _lock = new();

    /// <summary>Addresses tracked now.</summary>
    public int Count
    {
        get { lock (_lock) return _addresses.Count; }
    }

    /// <summary>Null when <paramref name="address"/> may register now (it took one attempt of its bucket); else how long it must wait.</summary>
    public TimeSpan? Admit(IPAddress address)
    {
        lock (_lock)
        {
            var now = time.GetUtcNow().UtcTicks;
            var state = StateOf(address, now);
            if (state.BlockedUntil > now) return TimeSpan.FromTicks(state.BlockedUntil - now);
            Refill(state, now);
            if (state.Tokens >= 1)
            {
                state.Tokens -= 1;
                return null;
            }
            var nextToken = TimeSpan.FromMinutes((1 - state.Tokens) / limits.PerMinute);
            return Fail(state, now, nextToken);
        }
    }

    /// <summary>A registration refused for its token: the address waits longer each time.</summary>
    public void Failed(IPAddress address)
    {
        lock (_lock)
        {
            var now = time.GetUtcNow().UtcTicks;
            Fail(StateOf(address, now), now, TimeSpan.Zero);
        }
    }

    /// <summary>A registration that succeeded: the address's failures are forgiven (its rate still holds).</summary>
    public void Succeeded(IPAddress address)
    {
        lock (_lock)
            if (_addresses.TryGetValue(address, out var state)) state.Failures = 0;
    }

    /// <summary>The middleware in front of <c>POST /devices</c>: 429 while the address waits, and the outcome recorded after.</summary>
    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var address = context.Connection.RemoteIpAddress is { } remote ? Normalized(remote) : IPAddress.None;
        if (Admit(address) is { } wait)
        {
            var seconds = (int)Math.Max(1, Math.Ceiling(wait.TotalSeconds));
            context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            await GatewayEndpoints.ErrorAsync(context, StatusCodes.Status429TooManyRequests, "registration-throttled",
                $"too many registrations or failed registrations from {address} (at most {limits.PerMinute} per minute, burst {limits.Burst}); retry in {seconds} s");
            return;
        }
        await next(context);
        if (context.Response.StatusCode == StatusCodes.Status403Forbidden) Failed(address);
        else if (context.Response.StatusCode == StatusCodes.Status201Created) Succeeded(address);
    }

    /// <summary>An IPv4 client seen through a dual-stack socket counts as its IPv4 address.</summary>
    public static IPAddress Normalized(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    private TimeSpan Fail(Address state, long now, TimeSpan atLeast)
    {
        state.Failures++;
        state.LastFailureAt = now;
        var doubled = limits.FailureBackoff.Ticks * Math.Pow(2, Math.Min(state.Failures - 1, 30));
        var wait = TimeSpan.FromTicks((long)Math.Min(doubled, limits.MaxFailureBackoff.Ticks));
        if (wait < atLeast) wait = atLeast;
        state.BlockedUntil = now + wait.Ticks;
        return wait;
    }

    private void Refill(Address state, long now)
    {
        state.Tokens = Math.Min(limits.Burst, state.Tokens + TimeSpan.FromTicks(now - state.RefilledAt).TotalMinutes * limits.PerMinute);
        state.RefilledAt = now;
    }

    private Address StateOf(IPAddress address, long now)
    {
        if (_addresses.TryGetValue(address, out var state)) return state;
        if (_addresses.Count >= limits.MaxAddresses) Evict(now);
        return _addresses[address] = new Address(limits.Burst, now);
    }

    /// <summary>Drops the addresses that are back to a fresh state (full bucket, no block, failures long past); if none, the least recently refilled.</summary>
    private void Evict(long now)
    {
        foreach (var (address, state) in _addresses.ToList())
        {
            Refill(state, now);
            if (state.BlockedUntil <= now && state.Tokens >= limits.Burst && (state.Failures == 0 || now - state.LastFailureAt > limits.MaxFailureBackoff.Ticks))
                _addresses.Remove(address);
        }
        if (_addresses.Count >= limits.MaxAddresses) _addresses.Remove(_addresses.MinBy(a => a.Value.RefilledAt).Key);
    }
}
