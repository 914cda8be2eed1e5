using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Akka.Actor;
using FleetOrchestrator.CommandProtocol;
using FleetOrchestrator.ControlPlane.Targets;
using FleetOrchestrator.Node.Factory;
using FleetOrchestrator.Node.Tests;
using FleetOrchestrator.Pbm;
using FleetOrchestrator.Protocol.Decisions;
using FleetOrchestrator.TestSupport;
using FleetOrchestrator.Tuf.Crypto;
using FleetOrchestrator.Tuf.Metadata;

namespace FleetOrchestrator.CommandHost.Tests;

/// <summary>
/// <c>pbm keys</c> against running nodes: root rotation signed by pbm with offline key files (which never go over the
/// wire), online key rotation, and the refusals; a device's TUF client follows every new root.
/// </summary>
public sealed class KeysPaletteTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private const UnixFileMode Secret = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private static RecordTarget Target(int version) =>
        new($"acme-{version}", Encoding.UTF8.GetBytes($"{{\"v\":{version}}}"), new JsonObject { ["version"] = version.ToString(), ["tags"] = new JsonArray("main") });

    /// <summary>pbm in-process, exactly as the executable runs (client-side signing included).</summary>
    private static async Task<(int ExitCode, string Stdout, string Stderr)> PbmAsync(string endpoint, params string[] arguments)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await PbmCommand.RunAsync([endpoint, .. arguments], stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static async Task<string> EndpointAsync(RunningNode node) => $"127.0.0.1:{(await node.CommandHostAsync()).Port}";

    private static void AssertOk((int ExitCode, string Stdout, string Stderr) run) => Assert.True(run.ExitCode == 0, $"exit {run.ExitCode}: {run.Stderr} {run.Stdout}");

    /// <summary>Root <paramref name="version"/> as the gateway serves it; a new root reaches the gateway's cache by pub/sub just after the command's answer.</summary>
    private static async Task<SignedMetadata<RootMetadata>> ServedRootAsync(HttpClient device, int version)
    {
        await UntilAsync(async () => (await device.GetAsync($"repo/{version}.root.json")).IsSuccessStatusCode, $"root v{version} served");
        return SignedMetadata<RootMetadata>.Parse(await device.GetByteArrayAsync($"repo/{version}.root.json"));
    }

    /// <summary>A registered device of tag main whose TUF client trusts root v1 and has refreshed once.</summary>
    private static async Task<(Tuf.Client.Updater Updater, HttpClient Http, IDisposable Cleanup)> DeviceAsync(RunningNode node)
    {
        await (await node.TargetRegistryAsync()).Ask<TargetRecorded>(Target(1), Wait);
        var (registration, certificate) = await node.RegisterAsync("device-1");
        await node.WaitForTargetsVersionAsync(certificate, 1);
        var metadata = new TempDirectory();
        var http = node.Client(certificate);
        var updater = await node.DeviceUpdaterAsync(registration, http, metadata.Path);
        await updater.RefreshAsync();
        return (updater, http, new Disposables(certificate, http, metadata));
    }

    private sealed class Disposables(params IDisposable[] items) : IDisposable
    {
        public void Dispose()
        {
            foreach (var item in items) item.Dispose();
        }
    }

    private static async Task UntilAsync(Func<Task<bool>> condition, string what)
    {
        for (var deadline = DateTime.UtcNow + Wait; !await condition(); await Task.Delay(100))
            if (DateTime.UtcNow > deadline) throw new TimeoutException(what);
    }

    [Fact]
    public async Task An_offline_root_is_rotated_by_pbm_signing_locally_and_devices_follow_the_new_roots()
    {
        using var offline = new TempDirectory();
        var rootFile = offline.Combine("root.pem");
        var newRootFile = offline.Combine("root-2.pem");
        var node = await RunningNode.StartAsync(init: ["--offline-root", rootFile]);
        await using var _ = node;
        var files = new FactoryFiles(node.Data.Path);
        using var rootKey = await KeyPair.LoadAsync(rootFile);
        var host = await node.CommandHostAsync();
        var endpoint = $"127.0.0.1:{host.Port}";
        var (updater, http, cleanup) = await DeviceAsync(node);
        using var __ = cleanup;
        await using var proxy = new RecordingProxy(host);

        var online = await (await node.TargetRegistryAsync()).Ask<KeysAnswer>(GetSigningRequests.Instance, Wait);
        var rotated = await PbmAsync(proxy.Endpoint, "keys", "rotate-root", "--key", rootFile, "--new-key", newRootFile);

        // init kept root out of the data directory; the registry holds every key but root.
        Assert.Equal(Secret, File.GetUnixFileMode(rootFile));
        Assert.DoesNotContain(await files.LoadKeysAsync(), k => k.KeyId == rootKey.KeyId);
        Assert.Equal([Role.Targets, Role.Snapshot, Role.Timestamp], online.OnlineRoles);
        AssertOk(rotated);
        using var newRoot = await KeyPair.LoadAsync(newRootFile);
        Assert.Equal(Secret, File.GetUnixFileMode(newRootFile));
        Assert.Contains($"created key file {newRootFile} (keyid {newRoot.KeyId[..8]}, mode 0600)", rotated.Stdout);
        Assert.Contains($"signed root/2 with {rootFile} (keyid {rootKey.KeyId[..8]})", rotated.Stdout);
        Assert.Contains($"signed root/2 with {newRootFile} (keyid {newRoot.KeyId[..8]})", rotated.Stdout);
        Assert.Contains("root rotation: root v2 signed", rotated.Stdout);
        Assert.Equal([newRoot.KeyId], (await ServedRootAsync(http, 2)).Signed.RoleKeysOf(Role.Root).KeyIds);
        Assert.Equal([rootKey.KeyId], (await ServedRootAsync(http, 1)).Signed.RoleKeysOf(Role.Root).KeyIds);
        await updater.RefreshAsync();
        Assert.Equal(2, updater.TrustedRoot!.Signed.Version);
        // Public keys and signatures went over the wire; no byte of either private key did.
        Assert.Contains(proxy.Sent, s => s.Contains(newRoot.PublicKey.PublicValue));
        foreach (var secret in PrivateMaterial(rootFile).Concat(PrivateMaterial(newRootFile)))
            Assert.DoesNotContain(proxy.Sent.Concat(proxy.Received), s => s.Contains(secret, StringComparison.OrdinalIgnoreCase));

        // Refusals name what is wrong and leave root as it is.
        var oldKey = await PbmAsync(endpoint, "keys", "rotate-root", "--key", rootFile);
        var noFile = await PbmAsync(endpoint, "keys", "rotate-root", "--key", offline.Combine("missing.pem"));
        await using var connection = await PbmConnection.ConnectAsync("127.0.0.1", host.Port, null, CancellationToken.None);
        var prepared = await PbmClient.RunAsync(connection, "keys", "prepare-root");
        var request = SigningRequestValue.From(prepared.Value)!;
        using var stranger = KeyPair.Generate();
        var payload = Convert.FromBase64String(request.Payload);
        var badSignature = await PbmClient.RunAsync(connection, "keys", "submit", ["root/3", "--signature", $"{newRoot.KeyId}:{Convert.ToHexStringLower(stranger.Sign(payload))}"]);
        var notRoot = await PbmClient.RunAsync(connection, "keys", "submit", ["root/3", "--signature", $"{stranger.KeyId}:{Convert.ToHexStringLower(stranger.Sign(payload))}"]);
        var noRequest = await PbmClient.RunAsync(connection, "keys", "submit", ["root/9", "--signature", $"{newRoot.KeyId}:00"]);
        var garbled = await PbmClient.RunAsync(connection, "keys", "submit", ["root/3", "--signature", "not-a-signature"]);
        var keyFileOnTheWire = await PbmClient.RunAsync(connection, "keys", "rotate-root", ["--key", rootFile]);

        Assert.Equal(1, oldKey.ExitCode);
        Assert.Contains($"error: key file {rootFile} (keyid {rootKey.KeyId[..8]}) may not sign root/3: the keys that may are [{newRoot.KeyId[..8]}]", oldKey.Stderr);
        Assert.Equal(1, noFile.ExitCode);
        Assert.Contains($"error: cannot use key file {offline.Combine("missing.pem")}:", noFile.Stderr);
        Assert.Equal(("root/3", Role.Root, 3), (request.Id, request.Role, request.Version));
        Assert.Equal([newRoot.KeyId], request.KeyIds);
        Assert.Equal($"root/3: the signature of keyid {newRoot.KeyId} does not verify over the payload", badSignature.End.Message);
        Assert.Equal($"root/3: keyid {stranger.KeyId} is not a root key that may sign this request", notRoot.End.Message);
        Assert.Equal("no request \"root/9\" waits for signatures; pending: [root/3]", noRequest.End.Message);
        Assert.Equal((ExitCodes.Usage, "--signature \"not-a-signature\" is not <keyid>:<hex signature>"), (garbled.End.ExitCode, garbled.End.Message));
        Assert.Equal(ExitCodes.Usage, keyFileOnTheWire.End.ExitCode);
        Assert.StartsWith("--key names a key file that pbm reads on the client; the host never takes key files", keyFileOnTheWire.End.Message);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("repo/3.root.json")).StatusCode);

        // An online key rotation needs root N+1 signed: refused without the root key file, signed by pbm with it.
        var unsigned = await PbmAsync(endpoint, "keys", "rotate-online", "timestamp");
        Assert.Equal(1, unsigned.ExitCode);
        Assert.Contains("error: root/3 waits for offline signatures (root v3 needs 0/1 of the current root keys", unsigned.Stderr);
        Assert.Contains("run again with --key <key file>", unsigned.Stderr);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("repo/3.root.json")).StatusCode);
        var oldTimestamp = (await ServedRootAsync(http, 2)).Signed.RoleKeysOf(Role.Timestamp).KeyIds.Single();
        var timestamp = await PbmAsync(endpoint, "keys", "rotate-online", "timestamp", "--key", newRootFile);
        AssertOk(timestamp);
        var newTimestamp = (await ServedRootAsync(http, 3)).Signed.RoleKeysOf(Role.Timestamp).KeyIds.Single();
        Assert.NotEqual(oldTimestamp, newTimestamp);
        Assert.Contains($"the timestamp key {oldTimestamp[..8]} is replaced by {newTimestamp[..8]}: root v3 signed; re-signed tags [main]", timestamp.Stdout);
        // The old timestamp key file and the key of the unsigned attempt are deleted; the new one is online.
        await UntilAsync(() => Task.FromResult(!File.Exists(files.KeyFile(Role.Timestamp)) && Directory.GetFiles(files.KeysDirectory, "timestamp*").Length == 1), "old timestamp keys deleted");
        Assert.Equal(Secret, File.GetUnixFileMode(Directory.GetFiles(files.KeysDirectory, "timestamp*").Single()));
        await updater.RefreshAsync();
        Assert.Equal(3, updater.TrustedRoot!.Signed.Version);

        // After a restart the roots and the rotated key are back: a new target is signed and verifies.
        await node.RestartAsync();
        await (await node.TargetRegistryAsync()).Ask<TargetRecorded>(Target(2), Wait);
        await UntilAsync(async () => (await http.GetAsync("repo/2.targets.json")).IsSuccessStatusCode, "targets v2 served");
        await updater.RefreshAsync();
        Assert.NotNull(await updater.GetTargetInfoAsync("acme-2"));
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("repo/3.root.json")).StatusCode);
    }

    [Fact]
    public async Task An_embedded_node_rotates_its_online_keys_itself_and_refuses_what_it_cannot_do()
    {
        var node = await RunningNode.StartAsync();
        await using var _ = node;
        var files = new FactoryFiles(node.Data.Path);
        var endpoint = await EndpointAsync(node);
        var (updater, http, cleanup) = await DeviceAsync(node);
        using var __ = cleanup;
        var oldSnapshot = (await ServedRootAsync(http, 1)).Signed.RoleKeysOf(Role.Snapshot).KeyIds.Single();

        var snapshot = await PbmAsync(endpoint, "keys", "rotate-online", "snapshot");
        var root = await PbmAsync(endpoint, "keys", "rotate-root");
        var unknownRole = await PbmAsync(endpoint, "keys", "rotate-online", "mirror");
        var rootRole = await PbmAsync(endpoint, "keys", "rotate-online", "root");
        var signTargets = await PbmAsync(endpoint, "keys", "sign-targets", "main", "--key", files.KeyFile(Role.Targets));
        var signWave = await PbmAsync(endpoint, "keys", "sign-wave", "w1");
        var pending = await PbmAsync(endpoint, "keys", "pending");

        AssertOk(snapshot);
        var root2 = await ServedRootAsync(http, 2);
        var newSnapshot = root2.Signed.RoleKeysOf(Role.Snapshot).KeyIds.Single();
        Assert.Contains($"the snapshot key {oldSnapshot[..8]} is replaced by {newSnapshot[..8]}: root v2 signed; re-signed tags [main]", snapshot.Stdout);
        AssertOk(root);
        var root3 = await ServedRootAsync(http, 3);
        Assert.NotEqual(root2.Signed.RoleKeysOf(Role.Root).KeyIds, root3.Signed.RoleKeysOf(Role.Root).KeyIds);
        Assert.Contains("root v3 signed", root.Stdout);
        await UntilAsync(() => Task.FromResult(!File.Exists(files.KeyFile(Role.Snapshot)) && !File.Exists(files.KeyFile(Role.Root))), "old key files deleted");
        await updater.RefreshAsync();
        Assert.Equal(3, updater.TrustedRoot!.Signed.Version);
        Assert.Equal((1, "error: unknown role \"mirror\"; online roles: targets, snapshot, timestamp\n"), (unknownRole.ExitCode, unknownRole.Stderr));
        Assert.Equal((ExitCodes.Usage, "error: root is not an online role: rotate it with keys rotate-root\n"), (rootRole.ExitCode, rootRole.Stderr));
        Assert.Equal((1, "error: the targets key of this factory is online; nothing to sign offline\n"), (signTargets.ExitCode, signTargets.Stderr));
        Assert.Equal((1, "error: the targets key of this factory is online; nothing to sign offline\n"), (signWave.ExitCode, signWave.Stderr));
        AssertOk(pending);
        Assert.Contains("nothing waits for offline signatures", pending.Stdout);
    }

    [Fact]
    public async Task With_the_targets_key_offline_changes_wait_for_pbm_to_sign_them_and_devices_keep_the_last_signed_metadata()
    {
        using var offline = new TempDirectory();
        var targetsFile = offline.Combine("targets.pem");
        var node = await RunningNode.StartAsync(init: ["--offline-targets", targetsFile]);
        await using var _ = node;
        var files = new FactoryFiles(node.Data.Path);
        var endpoint = await EndpointAsync(node);
        await (await node.TargetRegistryAsync()).Ask<TargetRecorded>(Target(1), Wait);
        var (registration, certificate) = await node.RegisterAsync("device-1");
        using var ___ = certificate;
        using var http = node.Client(certificate);
        using var metadata = new TempDirectory();

        var waiting = await PbmAsync(endpoint, "keys", "pending");
        var unsigned = await http.GetAsync("repo/1.targets.json");
        var wrongKey = await PbmAsync(endpoint, "keys", "sign-targets", "main", "--key", files.KeyFile(Role.Snapshot));
        var unknownTag = await PbmAsync(endpoint, "keys", "sign-targets", "nope", "--key", targetsFile);
        var signed = await PbmAsync(endpoint, "keys", "sign-targets", "main", "--key", targetsFile);

        Assert.Contains("targets/main/production/1", waiting.Stdout);
        Assert.Contains("1 request(s) wait for offline signatures", waiting.Stdout);
        Assert.False(unsigned.IsSuccessStatusCode);
        Assert.Equal(1, wrongKey.ExitCode);
        Assert.Contains($"error: key file {files.KeyFile(Role.Snapshot)} (keyid", wrongKey.Stderr);
        Assert.Contains("may not sign targets/main/production/1", wrongKey.Stderr);
        Assert.Equal((1, "error: tag nope has no targets waiting for offline signatures\n"), (unknownTag.ExitCode, unknownTag.Stderr));
        AssertOk(signed);
        Assert.Contains($"signed targets/main/production/1 with {targetsFile}", signed.Stdout);
        Assert.Contains("tag main signed at targets version 1", signed.Stdout);
        await node.WaitForTargetsVersionAsync(certificate, 1);
        var updater = await node.DeviceUpdaterAsync(registration, http, metadata.Path);
        await updater.RefreshAsync();
        Assert.NotNull(await updater.GetTargetInfoAsync("acme-1"));

        // The next target waits (persisted across a restart); the device keeps the last signed metadata meanwhile.
        await (await node.TargetRegistryAsync()).Ask<TargetRecorded>(Target(2), Wait);
        var busy = await (await node.TargetRegistryAsync()).Ask<Refused>(Target(3), Wait);
        await updater.RefreshAsync();
        Assert.Null(await updater.GetTargetInfoAsync("acme-2"));
        Assert.Equal("tag main has targets waiting for offline signatures (targets/main/production/2)", busy.Reason);
        await node.RestartAsync();
        var signedAfterRestart = await PbmAsync(await EndpointAsync(node), "keys", "sign-targets", "main", "--key", targetsFile);
        AssertOk(signedAfterRestart);
        await node.WaitForTargetsVersionAsync(certificate, 2);
        await updater.RefreshAsync();
        Assert.NotNull(await updater.GetTargetInfoAsync("acme-2"));

        // Opening a wave re-signs every view of its tag: sign-wave signs them together.
        await (await node.TargetRegistryAsync()).Ask<TargetRecorded>(new RecordTarget("acme-3", Encoding.UTF8.GetBytes("{\"v\":3}"),
            new JsonObject { ["version"] = "3", ["tags"] = new JsonArray("ci") }), Wait);
        var ci = await PbmAsync(await EndpointAsync(node), "keys", "sign-targets", "ci", "--key", targetsFile);
        var init = await PbmClient.RunAsync(await node.CommandHostAsync(), "waves", "init", ["w1", "3", "main"]);
        var wave = await PbmAsync(await EndpointAsync(node), "keys", "sign-wave", "w1", "--key", targetsFile);
        var none = await PbmAsync(await EndpointAsync(node), "keys", "pending");

        AssertOk(ci);
        Assert.True(init.End.ExitCode == 0, init.End.Message);
        AssertOk(wave);
        Assert.Contains($"signed targets/main/production/3 with {targetsFile}", wave.Stdout);
        Assert.Contains($"signed targets/main/w1/3 with {targetsFile}", wave.Stdout);
        Assert.Contains("tag main signed at targets version 3", wave.Stdout);
        Assert.Contains("nothing waits for offline signatures", none.Stdout);
    }

    /// <summary>What of a PKCS#8 PEM key file must never be seen elsewhere: each base64 line, the DER and the raw private key, in hex and base64.</summary>
    private static IEnumerable<string> PrivateMaterial(string pemFile)
    {
        var body = File.ReadAllLines(pemFile).Where(l => !l.StartsWith("-----", StringComparison.Ordinal)).ToList();
        var der = Convert.FromBase64String(string.Concat(body));
        var privateKey = der[^32..];
        return [.. body, Convert.ToHexString(der), Convert.ToHexString(privateKey), Convert.ToBase64String(privateKey)];
    }
}

/// <summary>A loopback relay to the command host that keeps every JSON string pbm sent and received (unescaped).</summary>
internal sealed class RecordingProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly MemoryStream _sent = new();
    private readonly MemoryStream _received = new();
    private readonly Task _accepting;

    public RecordingProxy(IPEndPoint host)
    {
        _listener.Start();
        _accepting = AcceptAsync(host);
    }

    public string Endpoint => $"127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    public IReadOnlyList<string> Sent => Strings(_sent);
    public IReadOnlyList<string> Received => Strings(_received);

    private async Task AcceptAsync(IPEndPoint host)
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                var server = new TcpClient();
                await server.ConnectAsync(host, _stop.Token);
                _ = Task.WhenAll(PumpAsync(client, server, _sent), PumpAsync(server, client, _received)).ContinueWith(_ =>
                {
                    client.Dispose();
                    server.Dispose();
                }, TaskScheduler.Default);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static async Task PumpAsync(TcpClient from, TcpClient to, MemoryStream record)
    {
        var buffer = new byte[8192];
        try
        {
            int read;
            while ((read = await from.GetStream().ReadAsync(buffer)) > 0)
            {
                lock (record) record.Write(buffer, 0, read);
                await to.GetStream().WriteAsync(buffer.AsMemory(0, read));
            }
            to.Client.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or SocketException)
        {
        }
    }

    /// <summary>Every string value of every frame, as decoded JSON (so escaped characters cannot hide a match).</summary>
    private static IReadOnlyList<string> Strings(MemoryStream record)
    {
        string text;
        lock (record) text = Encoding.UTF8.GetString(record.ToArray());
        var strings = new List<string>();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            Collect(JsonDocument.Parse(line).RootElement, strings);
        return strings;
    }

    private static void Collect(JsonElement element, List<string> strings)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String: strings.Add(element.GetString()!); break;
            case JsonValueKind.Array: foreach (var item in element.EnumerateArray()) Collect(item, strings); break;
            case JsonValueKind.Object: foreach (var property in element.EnumerateObject()) Collect(property.Value, strings); break;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        _stop.Dispose();
    }
}
