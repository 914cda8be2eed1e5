using System.Runtime.CompilerServices;
using System.Security.Cryptography.X509Certificates;
using FleetOrchestrator.ControlPlane.Revocations;
using FleetOrchestrator.Node.Factory;

namespace FleetOrchestrator.Node.Gateway;

/// <summary>What <see cref="DeviceDenyList.Apply"/> did with a published change.</summary>
public enum DenyListUpdate { Applied, Stale, Gap }

/// <summary>
/// This gateway's copy of the cluster's <see cref="DenyList"/> (fed by <see cref="DeviceDenyListActor"/>) and the
/// middleware that reads it on every device request, before authentication and on connections authenticated before a
/// revocation too: a revoked device's certificate or name gets 403 <c>device-revoked</c>. A request reads one
/// immutable list and asks no actor. Until the list is first loaded, requests wait for it (fail closed).
/// </summary>
public sealed class DeviceDenyList
{
    /// <summary>How long a request waits for the first load before 503.</summary>
    private static readonly TimeSpan LoadWait = TimeSpan.FromSeconds(10);

    private sealed record Presented(string Name, string Fingerprint);

    private readonly TaskCompletionSource _loaded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _gate = new();
    /// <summary>Name and fingerprint of each connection's client certificate (one object per connection): hashed once per connection.</summary>
    private readonly ConditionalWeakTable<X509Certificate2, Presented> _presented = new();
    private volatile DenyList _list = DenyList.Empty;

    public bool IsLoaded => _loaded.Task.IsCompleted;

    public long Revision => _list.Revision;

    /// <summary>The whole list from the singleton; kept when newer than the one held (an answer can arrive after a later change). True when taken.</summary>
    public bool Load(DenyList list)
    {
        lock (_gate)
        {
            if (IsLoaded && list.Revision <= _list.Revision) return false;
            _list = list;
        }
        _loaded.TrySetResult();
        return true;
    }

    /// <summary>Applies the change next after the held revision; an older one is <see cref="DenyListUpdate.Stale"/>, a later one a <see cref="DenyListUpdate.Gap"/> (load it all).</summary>
    public DenyListUpdate Apply(DenyListChanged change)
    {
        lock (_gate)
        {
            if (!IsLoaded || change.Revision > _list.Revision + 1) return DenyListUpdate.Gap;
            if (change.Revision <= _list.Revision) return DenyListUpdate.Stale;
            _list = _list.Apply(change);
            return DenyListUpdate.Applied;
        }
    }

    /// <summary>Whether the name is reserved by a revocation (registration is refused); waits for the first load.</summary>
    public async Task<bool?> RefusesNameAsync(string name, CancellationToken cancellation)
    {
        if (!await LoadedAsync(cancellation)) return null;
        return _list.Names.Contains(name);
    }

    /// <summary>The middleware: registration and requests without a certificate pass (their endpoints answer); a revoked device's request ends here.</summary>
    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var certificate = context.Request.Path.StartsWithSegments("/devices") && HttpMethods.IsPost(context.Request.Method)
            ? null : await context.Connection.GetClientCertificateAsync(context.RequestAborted);
        if (certificate is null)
        {
            await next(context);
            return;
        }
        if (!await LoadedAsync(context.RequestAborted))
        {
            await GatewayEndpoints.ErrorAsync(context, StatusCodes.Status503ServiceUnavailable, "deny-list-loading", "the gateway has not loaded the device deny list yet; try again later");
            return;
        }
        var presented = _presented.GetValue(certificate, c => new Presented(c.SubjectName.GetCommonName() ?? "", GatewayEndpoints.Fingerprint(c)));
        if (_list.Refuses(presented.Name, presented.Fingerprint))
        {
            await GatewayEndpoints.ErrorAsync(context, StatusCodes.Status403Forbidden, "device-revoked", $"device \"{presented.Name}\" or its certificate is revoked; the gateway refuses it on every endpoint");
            return;
        }
        await next(context);
    }

    private async Task<bool> LoadedAsync(CancellationToken cancellation)
    {
        if (IsLoaded) return true;
        try
        {
            await _loaded.Task.WaitAsync(LoadWait, cancellation);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }
}
