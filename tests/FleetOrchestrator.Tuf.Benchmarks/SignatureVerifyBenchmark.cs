using BenchmarkDotNet.Attributes;
using FleetOrchestrator.Tuf.Crypto;
using NSec.Cryptography;
using TufKey = FleetOrchestrator.Tuf.Metadata.Key;

namespace FleetOrchestrator.Tuf.Benchmarks;

/// <summary>
/// One ed25519 verification through the TUF layer (<see cref="SignatureVerifier"/>: hex signature, cached
/// public key) beside NSec's own verify of the same bytes, to show the layer's overhead.
/// </summary>
public class SignatureVerifyBenchmark
{
    private readonly byte[] _data = new byte[512];
    private TufKey _key = null!;
    private string _signatureHex = "";
    private PublicKey _nsecKey = null!;
    private byte[] _signature = [];

    [GlobalSetup]
    public void Setup()
    {
        Random.Shared.NextBytes(_data);
        using var pair = KeyPair.Generate();
        _signature = pair.Sign(_data);
        _signatureHex = Convert.ToHexStringLower(_signature);
        _key = new TufKey(pair.PublicKey.KeyType, pair.PublicKey.Scheme, pair.PublicKey.PublicValue);
        _nsecKey = PublicKey.Import(SignatureAlgorithm.Ed25519, Convert.FromHexString(_key.PublicValue), KeyBlobFormat.RawPublicKey);
    }

    [Benchmark(Baseline = true)]
    public bool NSecVerify() => SignatureAlgorithm.Ed25519.Verify(_nsecKey, _data, _signature);

    [Benchmark]
    public bool TufSignatureVerifier() => SignatureVerifier.Verify(_key, _data, _signatureHex);

    /// <summary>The only extra work of the TUF layer besides a cached-key lookup, measured alone (load-independent evidence).</summary>
    [Benchmark]
    public int HexDecodeOnly()
    {
        Span<byte> signature = stackalloc byte[64];
        Convert.FromHexString(_signatureHex, signature, out _, out var written);
        return written;
    }
}
