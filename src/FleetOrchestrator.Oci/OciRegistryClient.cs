using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;

namespace FleetOrchestrator.Oci;

/// <summary>
/// Client of the OCI distribution HTTP API: resolve tags, read and write manifests, push blobs
/// (monolithic or chunked) and stream blobs while verifying them. Requests go only to the
/// registry's host (or its mirror); connection errors, timeouts and 5xx answers are retried with
/// jittered exponential backoff, nothing else is. See docs/oci-client.md.
/// </summary>
public sealed class OciRegistryClient : IDisposable
{
    private const int MaxRedirects = 5;
    private const string DockerHubApiHost = "registry-1.docker.io";
    private const string DigestHeader = "Docker-Content-Digest";

    private readonly RegistryClientOptions _options;
    private readonly HttpClient _http;
    private readonly RegistryAuthenticator _auth;

    /// <param name="handler">For tests or custom TLS; it must not follow redirects itself (this client does, dropping credentials across hosts). Not disposed.</param>
    public OciRegistryClient(RegistryClientOptions options, HttpMessageHandler? handler = null)
    {
        options.Validate();
        _options = options;
        _http = handler is null
            ? new HttpClient(new SocketsHttpHandler
            {
                AllowAutoRedirect = false,
                ConnectTimeout = options.Timeout,
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            }, disposeHandler: true)
            : new HttpClient(handler, disposeHandler: false);
        _http.Timeout = Timeout.InfiniteTimeSpan; // per-attempt timeouts below; blob streams may take long
        var dockerConfig = new Lazy<Func<string, RegistryCredentials?>>(() => DockerConfigCredentials.Load());
        _auth = new RegistryAuthenticator(_http, options, options.Credentials ?? (registry => dockerConfig.Value(registry)));
    }

    public void Dispose() => _http.Dispose();

    /// <summary>GET /v2/, answering an auth challenge if there is one.</summary>
    public async Task PingAsync(string domain, CancellationToken ct)
    {
        ImageReference.ValidateDomain(domain, domain);
        var call = new RegistryCall(domain, null, false, HttpMethod.Get, new Uri(BaseUri(domain), "v2/"));
        using var response = await SendAsync(call, ct);
        if (!response.IsSuccessStatusCode) throw await UnexpectedAsync(response, call, "API root", "/v2/", ct);
    }

    /// <summary>
    /// The manifest a reference names: HEAD with the full Accept list, trusting Docker-Content-Digest; without
    /// that header, GET and hash the body. A multi-arch tag gives the index (manifest list) itself.
    /// </summary>
    public async Task<ManifestDescriptor> ResolveAsync(ImageReference reference, CancellationToken ct)
    {
        var call = ManifestCall(HttpMethod.Head, reference.Domain, reference.Repository, reference.ManifestReference);
        using (var response = await SendAsync(call, ct))
        {
            if (!response.IsSuccessStatusCode) throw await UnexpectedAsync(response, call, "manifest", reference.ManifestReference, ct);
            if (HeaderDigest(response) is { } digest &&
                response.Content.Headers.ContentType?.MediaType is { } mediaType &&
                response.Content.Headers.ContentLength is { } size)
            {
                if (reference.Digest is { } expected && expected != digest)
                    throw new OciIntegrityException($"manifest {reference} digest header", expected.ToString(), digest.ToString());
                return new ManifestDescriptor(mediaType, digest, size);
            }
        }
        var manifest = await GetManifestAsync(reference.Domain, reference.Repository, reference.ManifestReference, ct);
        return new ManifestDescriptor(manifest.MediaType, manifest.Digest, manifest.Content.Length);
    }

    /// <summary>
    /// Reads a manifest by tag or digest, at most <paramref name="maxBytes"/> (default <see cref="RegistryClientOptions.MaxManifestBytes"/>);
    /// by digest, sha256(body) must equal it; by tag, it must equal the registry's Docker-Content-Digest when sent.
    /// </summary>
    public async Task<FetchedManifest> GetManifestAsync(string domain, string repository, string reference, CancellationToken ct, long? maxBytes = null)
    {
        var expected = ParseManifestReference(domain, repository, reference);
        var limit = maxBytes ?? _options.MaxManifestBytes;
        if (limit < 1) throw new ArgumentOutOfRangeException(nameof(maxBytes), maxBytes, "must be positive");
        var call = ManifestCall(HttpMethod.Get, domain, repository, reference);
        using var response = await SendAsync(call, ct);
        if (!response.IsSuccessStatusCode) throw await UnexpectedAsync(response, call, "manifest", reference, ct);
        var subject = $"manifest {domain}/{repository}:{reference}";
        using var timeout = TimeoutToken(ct);
        var content = await HttpBodies.ReadBoundedAsync(response.Content, limit, subject, timeout.Token);
        var digest = Digest.Sha256(content);
        var claimed = expected ?? HeaderDigest(response);
        if (claimed is { } want && want != digest) throw new OciIntegrityException(subject + " digest", want.ToString(), digest.ToString());
        var mediaType = response.Content.Headers.ContentType?.MediaType ?? MediaTypeField(content)
            ?? throw new OciException($"{subject} has neither a Content-Type nor a mediaType field");
        return new FetchedManifest(mediaType, digest, content);
    }

    /// <summary>Uploads a manifest under a tag or its own digest; returns sha256(content).</summary>
    public async Task<Digest> PutManifestAsync(string domain, string repository, string reference, string mediaType,
        ReadOnlyMemory<byte> content, CancellationToken ct)
    {
        var expected = ParseManifestReference(domain, repository, reference);
        var subject = $"manifest {domain}/{repository}:{reference}";
        if (content.Length > _options.MaxManifestBytes)
            throw new OciTooLargeException(subject, _options.MaxManifestBytes, $"{content.Length} bytes");
        var digest = Digest.Sha256(content.Span);
        if (expected is { } want && want != digest) throw new OciIntegrityException(subject + " content", want.ToString(), digest.ToString());
        var contentType = MediaTypeHeaderValue.Parse(mediaType);
        var call = ManifestCall(HttpMethod.Put, domain, repository, reference) with
        {
            Push = true,
            Content = () => new ReadOnlyMemoryContent(content) { Headers = { ContentType = contentType } },
        };
        using var response = await SendAsync(call, ct);
        if (response.StatusCode != HttpStatusCode.Created) throw await UnexpectedAsync(response, call, "manifest", reference, ct);
        if (HeaderDigest(response) is { } stored && stored != digest)
            throw new OciIntegrityException(subject + " digest stored by the registry", digest.ToString(), stored.ToString());
        return digest;
    }

    public async Task<bool> BlobExistsAsync(string domain, string repository, Digest digest, CancellationToken ct)
    {
        var call = BlobCall(HttpMethod.Head, domain, repository, digest);
        using var response = await SendAsync(call, ct);
        if (response.StatusCode == HttpStatusCode.NotFound) return false;
        if (!response.IsSuccessStatusCode) throw await UnexpectedAsync(response, call, "blob", digest.ToString(), ct);
        return true;
    }

    /// <summary>
    /// Uploads a blob unless the registry has it. Below <see cref="RegistryClientOptions.ChunkSize"/> it goes in one PUT,
    /// else in PATCH chunks. The content is hashed as it is read and must match <paramref name="size"/> and
    /// <paramref name="digest"/> before the upload is committed; on a mismatch the upload is cancelled.
    /// </summary>
    public async Task PushBlobAsync(string domain, string repository, Digest digest, long size, Func<Stream> openContent, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        if (await BlobExistsAsync(domain, repository, digest, ct)) return;
        var location = await StartUploadAsync(domain, repository, ct);
        var subject = $"blob {domain}/{repository}@{digest} content";
        try
        {
            await using var source = openContent();
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            // One more byte than declared for a small blob, so that content longer than declared is seen.
            var bufferLength = (int)Math.Min(_options.ChunkSize, size + 1);
            var pooled = ArrayPool<byte>.Shared.Rent(bufferLength);
            try
            {
                var buffer = pooled.AsMemory(0, bufferLength);
                var total = 0L;
                var chunked = size >= _options.ChunkSize;
                var lastPart = ReadOnlyMemory<byte>.Empty;
                while (true)
                {
                    var read = await source.ReadAtLeastAsync(buffer, bufferLength, throwOnEndOfStream: false, ct);
                    if (read == 0) break;
                    if (total + read > size) throw new OciIntegrityException(subject + " size", $"{size} bytes", $"more than {size} bytes");
                    hash.AppendData(pooled, 0, read);
                    if (chunked) location = await PatchChunkAsync(domain, repository, location, buffer[..read], total, ct);
                    else lastPart = buffer[..read];
                    total += read;
                    if (read < bufferLength) break;
                }
                if (total != size) throw new OciIntegrityException(subject + " size", $"{size} bytes", $"{total} bytes");
                var actual = Digest.FromSha256Hash(hash.GetHashAndReset());
                if (actual != digest) throw new OciIntegrityException(subject + " digest", digest.ToString(), actual.ToString());
                await CompleteUploadAsync(domain, repository, location, digest, lastPart, ct);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(pooled);
            }
        }
        catch (OciIntegrityException)
        {
            await CancelUploadAsync(domain, repository, location);
            throw;
        }
    }

    /// <summary>
    /// Streams a blob. From offset 0 the stream checks size and sha256 (see <see cref="VerifyingBlobStream"/>).
    /// With <paramref name="offset"/> &gt; 0 it sends a Range request and checks only that exactly the remaining
    /// bytes arrive: the caller holds the prefix and must hash the whole blob (e.g. <see cref="Digest.Sha256Async"/>)
    /// before trusting it. A registry that ignores Range answers 200; then the prefix is read, hashed and dropped,
    /// and the full digest is checked.
    /// </summary>
    public async Task<Stream> OpenBlobAsync(string domain, string repository, Digest digest, long expectedSize, CancellationToken ct, long offset = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(expectedSize);
        if (offset < 0 || offset > expectedSize)
            throw new ArgumentOutOfRangeException(nameof(offset), offset, $"must be between 0 and the blob size {expectedSize}");
        var call = BlobCall(HttpMethod.Get, domain, repository, digest) with
        {
            Range = offset > 0 ? new RangeHeaderValue(offset, null) : null,
        };
        var response = await SendAsync(call, ct);
        try
        {
            var subject = $"blob {domain}/{repository}@{digest}";
            var resumed = offset > 0 && response.StatusCode == HttpStatusCode.PartialContent;
            if (resumed)
            {
                var range = response.Content.Headers.ContentRange;
                if (range?.From != offset)
                    throw new OciException($"{subject}: asked for bytes from {offset}, registry answered range '{range}'");
                if (range.Length is { } total && total != expectedSize)
                    throw new OciIntegrityException(subject + " size", $"{expectedSize} bytes", $"{total} bytes (Content-Range {range})");
            }
            else if (response.StatusCode != HttpStatusCode.OK)
            {
                throw await UnexpectedAsync(response, call, "blob", digest.ToString(), ct);
            }
            var expectedBytes = resumed ? expectedSize - offset : expectedSize;
            if (response.Content.Headers.ContentLength is { } declared && declared != expectedBytes)
                throw new OciIntegrityException(subject + " size", $"{expectedBytes} bytes", $"Content-Length {declared}");
            var body = await response.Content.ReadAsStreamAsync(ct);
            var stream = new VerifyingBlobStream(body, response, subject, expectedBytes, resumed ? null : digest);
            if (!resumed && offset > 0) await stream.SkipAsync(offset, ct);
            return stream;
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    private async Task<Uri> StartUploadAsync(string domain, string repository, CancellationToken ct)
    {
        var call = new RegistryCall(domain, repository, true, HttpMethod.Post, new Uri(BaseUri(domain), $"v2/{repository}/blobs/uploads/"))
        {
            Content = () => new ByteArrayContent([]),
        };
        using var response = await SendAsync(call, ct);
        if (response.StatusCode != HttpStatusCode.Accepted) throw await UnexpectedAsync(response, call, "blob upload", "start", ct);
        return UploadLocation(response, call);
    }

    private async Task<Uri> PatchChunkAsync(string domain, string repository, Uri location, ReadOnlyMemory<byte> chunk, long start, CancellationToken ct)
    {
        var call = new RegistryCall(domain, repository, true, HttpMethod.Patch, location)
        {
            Content = () =>
            {
                var content = new ReadOnlyMemoryContent(chunk) { Headers = { ContentType = new MediaTypeHeaderValue(OciMediaTypes.OctetStream) } };
                // The distribution spec's Content-Range for uploads is "<start>-<end>", not the RFC 9110 "bytes" form.
                content.Headers.TryAddWithoutValidation("Content-Range", $"{start}-{start + chunk.Length - 1}");
                return content;
            },
        };
        using var response = await SendAsync(call, ct);
        if (response.StatusCode != HttpStatusCode.Accepted)
            throw await UnexpectedAsync(response, call, "blob upload", $"chunk at {start}", ct);
        return UploadLocation(response, call);
    }

    private async Task CompleteUploadAsync(string domain, string repository, Uri location, Digest digest, ReadOnlyMemory<byte> body, CancellationToken ct)
    {
        var call = new RegistryCall(domain, repository, true, HttpMethod.Put, WithDigestQuery(location, digest))
        {
            Content = () => new ReadOnlyMemoryContent(body) { Headers = { ContentType = new MediaTypeHeaderValue(OciMediaTypes.OctetStream) } },
        };
        using var response = await SendAsync(call, ct);
        if (response.StatusCode != HttpStatusCode.Created) throw await UnexpectedAsync(response, call, "blob", digest.ToString(), ct);
    }

    /// <summary>Best effort: the registry expires abandoned uploads anyway.</summary>
    private async Task CancelUploadAsync(string domain, string repository, Uri location)
    {
        try
        {
            using var response = await SendAsync(new RegistryCall(domain, repository, true, HttpMethod.Delete, location), CancellationToken.None);
        }
        catch (Exception e) when (e is OciException or HttpRequestException) { }
    }

    /// <summary>The next upload URL: relative ones resolve against the request; absolute ones must stay on the registry's host.</summary>
    private Uri UploadLocation(HttpResponseMessage response, RegistryCall call)
    {
        var location = response.Headers.Location
            ?? throw new OciException($"{call.Method} {call.Uri} answered {(int)response.StatusCode} without a Location header");
        var next = location.IsAbsoluteUri ? location : new Uri(call.Uri, location);
        if (!SameServer(next, BaseUri(call.Domain)))
            throw new OciException($"registry {call.Domain} sent an upload location on another server ({next.GetLeftPart(UriPartial.Authority)}); " +
                $"only {BaseUri(call.Domain).GetLeftPart(UriPartial.Authority)} is contacted");
        return next;
    }

    private static Uri WithDigestQuery(Uri location, Digest digest)
    {
        var builder = new UriBuilder(location);
        var parameter = "digest=" + Uri.EscapeDataString(digest.ToString());
        builder.Query = builder.Query.Length > 1 ? builder.Query[1..] + "&" + parameter : parameter;
        return builder.Uri;
    }

    // ---- request pipeline: retries, auth, redirects ----

    private sealed record RegistryCall(string Domain, string? Repository, bool Push, HttpMethod Method, Uri Uri)
    {
        public string? Accept { get; init; }
        public Func<HttpContent>? Content { get; init; }
        public RangeHeaderValue? Range { get; init; }
        /// <summary>Only blob reads follow redirects (to storage backends).</summary>
        public bool FollowRedirects { get; init; }
        public string Scope => Repository is null ? "" : $"repository:{Repository}:{(Push ? "pull,push" : "pull")}";
    }

    private RegistryCall ManifestCall(HttpMethod method, string domain, string repository, string reference) =>
        new(domain, repository, false, method, new Uri(BaseUri(domain), $"v2/{repository}/manifests/{reference}"))
        {
            Accept = OciMediaTypes.ManifestAccept,
        };

    private RegistryCall BlobCall(HttpMethod method, string domain, string repository, Digest digest)
    {
        ImageReference.ValidateName($"{domain}/{repository}", domain, repository);
        return new(domain, repository, false, method, new Uri(BaseUri(domain), $"v2/{repository}/blobs/{digest}")) { FollowRedirects = true };
    }

    /// <summary>Retries connection errors, timeouts and 5xx with jittered exponential backoff; returns any other answer.</summary>
    private async Task<HttpResponseMessage> SendAsync(RegistryCall call, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            string lastError;
            Exception? lastException = null;
            try
            {
                var response = await SendAuthorizedAsync(call, ct);
                if ((int)response.StatusCode < 500) return response;
                using (response)
                    lastError = $"{call.Method} {call.Uri} answered {(int)response.StatusCode} {response.ReasonPhrase} {await HttpBodies.RegistryErrorsAsync(response, ct)}".TrimEnd();
            }
            catch (HttpRequestException e)
            {
                (lastError, lastException) = ($"{call.Method} {call.Uri}: {e.Message}", e);
            }
            catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
            {
                (lastError, lastException) = ($"{call.Method} {call.Uri}: no answer within {_options.Timeout}", e);
            }
            if (attempt >= _options.MaxAttempts) throw new OciRegistryUnavailableException(call.Domain, attempt, lastError, lastException);
            await Task.Delay(RetryDelay(attempt), ct);
        }
    }

    /// <summary>Sends with cached auth; on a 401 answers the challenge and sends once more.</summary>
    private async Task<HttpResponseMessage> SendAuthorizedAsync(RegistryCall call, CancellationToken ct)
    {
        var registry = CredentialKey(call.Domain);
        var auth = _auth.Cached(registry, call.Scope);
        var response = await SendOnceAsync(call, call.Uri, auth, ct);
        if (response.StatusCode == HttpStatusCode.Unauthorized)
        {
            using (response) auth = await _auth.AuthorizeAsync(registry, call.Repository, call.Scope, response, ct);
            response = await SendOnceAsync(call, call.Uri, auth, ct);
            if (response.StatusCode == HttpStatusCode.Unauthorized)
            {
                using (response)
                    throw new OciAuthenticationException(registry, call.Repository, call.Scope.Length == 0 ? null : call.Scope,
                        $"credentials refused (401) {await HttpBodies.RegistryErrorsAsync(response, ct)}".TrimEnd(), HttpStatusCode.Unauthorized);
            }
        }
        return call.FollowRedirects ? await FollowRedirectsAsync(call, response, auth, ct) : response;
    }

    /// <summary>Follows redirects of blob reads; the Authorization header only goes to the registry's own server.</summary>
    private async Task<HttpResponseMessage> FollowRedirectsAsync(RegistryCall call, HttpResponseMessage response, AuthenticationHeaderValue? auth, CancellationToken ct)
    {
        var current = call.Uri;
        for (var hops = 0; response.StatusCode is HttpStatusCode.MovedPermanently or HttpStatusCode.Found or HttpStatusCode.SeeOther
                 or HttpStatusCode.TemporaryRedirect or HttpStatusCode.PermanentRedirect; hops++)
        {
            using (response)
            {
                if (hops >= MaxRedirects) throw new OciException($"{call.Method} {call.Uri}: more than {MaxRedirects} redirects");
                var location = response.Headers.Location
                    ?? throw new OciException($"{call.Method} {current} answered {(int)response.StatusCode} without a Location header");
                current = location.IsAbsoluteUri ? location : new Uri(current, location);
                if (current.Scheme is not ("http" or "https")) throw new OciException($"{call.Method} {call.Uri}: redirect to unsupported URL {current}");
            }
            response = await SendOnceAsync(call, current, SameServer(current, call.Uri) ? auth : null, ct);
        }
        return response;
    }

    private async Task<HttpResponseMessage> SendOnceAsync(RegistryCall call, Uri uri, AuthenticationHeaderValue? auth, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(call.Method, uri);
        request.Headers.Authorization = auth;
        if (call.Accept is not null) request.Headers.TryAddWithoutValidation("Accept", call.Accept);
        request.Headers.Range = call.Range;
        if (call.Content is not null) request.Content = call.Content();
        using var timeout = TimeoutToken(ct);
        return await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
    }

    private async Task<OciException> UnexpectedAsync(HttpResponseMessage response, RegistryCall call, string what, string reference, CancellationToken ct)
    {
        var errors = await HttpBodies.RegistryErrorsAsync(response, ct);
        var status = response.StatusCode;
        if (status == HttpStatusCode.NotFound && call.Repository is not null)
            return new OciNotFoundException(what, call.Domain, call.Repository, reference, errors);
        if (status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
            return new OciAuthenticationException(CredentialKey(call.Domain), call.Repository, call.Scope.Length == 0 ? null : call.Scope,
                $"{(int)status} {errors}".TrimEnd(), status);
        return new OciException(
            $"{call.Method} {what} {reference} at {call.Domain}/{call.Repository}: registry answered {(int)status} {response.ReasonPhrase}" +
            (errors.Length == 0 ? "" : $": {errors}"), status);
    }

    private TimeSpan RetryDelay(int attempt)
    {
        var exponential = Math.Min(_options.BaseDelay.TotalMilliseconds * Math.Pow(2, attempt - 1), _options.MaxDelay.TotalMilliseconds);
        // Half fixed, half random: clients that failed together do not retry together.
        return TimeSpan.FromMilliseconds(exponential / 2 + Random.Shared.NextDouble() * exponential / 2);
    }

    private CancellationTokenSource TimeoutToken(CancellationToken ct)
    {
        var source = CancellationTokenSource.CreateLinkedTokenSource(ct);
        source.CancelAfter(_options.Timeout);
        return source;
    }

    private Uri BaseUri(string domain)
    {
        var host = _options.Mirrors.TryGetValue(domain, out var mirror) ? mirror
            : domain == ImageReference.DockerHubDomain ? DockerHubApiHost : domain;
        return new Uri($"{(_options.PlainHttp ? "http" : "https")}://{host}/");
    }

    /// <summary>Credentials and tokens belong to the server contacted: the mirror when there is one.</summary>
    private string CredentialKey(string domain) => _options.Mirrors.GetValueOrDefault(domain) ?? domain;

    private static bool SameServer(Uri a, Uri b) =>
        Uri.Compare(a, b, UriComponents.SchemeAndServer, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) == 0;

    private static Digest? HeaderDigest(HttpResponseMessage response) =>
        response.Headers.TryGetValues(DigestHeader, out var values) && Digest.TryParse(values.FirstOrDefault(), out var digest) ? digest : null;

    /// <summary>Validates the names and returns the digest when the reference is one (else it must be a valid tag).</summary>
    private static Digest? ParseManifestReference(string domain, string repository, string reference)
    {
        var text = $"{domain}/{repository}:{reference}";
        ImageReference.ValidateName(text, domain, repository);
        if (reference.Contains(':')) return Digest.Parse(reference);
        ImageReference.ValidateTag(text, reference);
        return null;
    }

    private static string? MediaTypeField(byte[] manifest)
    {
        try
        {
            using var document = JsonDocument.Parse(manifest);
            return document.RootElement.ValueKind == JsonValueKind.Object &&
                   document.RootElement.TryGetProperty("mediaType", out var value) && value.ValueKind == JsonValueKind.String
                ? value.GetString()
                : null;
        }
        catch (JsonException) { return null; }
    }
}
