namespace FleetOrchestrator.Oci;

public static class OciMediaTypes
{
    public const string DockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
    public const string DockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";
    public const string DockerContainerConfig = "application/vnd.docker.container.image.v1+json";
    public const string DockerLayer = "application/vnd.docker.image.rootfs.diff.tar.gzip";
    public const string OciManifest = "application/vnd.oci.image.manifest.v1+json";
    public const string OciIndex = "application/vnd.oci.image.index.v1+json";
    public const string OciImageConfig = "application/vnd.oci.image.config.v1+json";
    public const string OciLayer = "application/vnd.oci.image.layer.v1.tar+gzip";
    /// <summary>The OCI empty descriptor's media type; its content is the two bytes <c>{}</c>.</summary>
    public const string OciEmpty = "application/vnd.oci.empty.v1+json";
    public const string OctetStream = "application/octet-stream";
    public const string Json = "application/json";

    /// <summary>Accept header for manifests: every manifest and index type we understand.</summary>
    public const string ManifestAccept = DockerManifest + ", " + DockerManifestList + ", " + OciManifest + ", " + OciIndex;

    /// <summary>Content of the OCI empty descriptor.</summary>
    public static ReadOnlySpan<byte> OciEmptyContent => "{}"u8;

    public static bool IsIndex(string mediaType) => mediaType is DockerManifestList or OciIndex;
}
