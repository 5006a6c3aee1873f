using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace SecretRotator.Tests.EndToEnd;

/// <summary>
/// Writes the smallest real image as an OCI image layout (oci-layout, index.json, blobs/sha256/*): one gzip tar
/// layer holding one file, its config and its manifest, every digest computed here. Skopeo copies it from
/// <c>oci:DIR:TAG</c>.
/// </summary>
public static class OciImage
{
    /// <returns>The manifest digest ("sha256:..."), which the registry must report for the pushed tag.</returns>
    public static string Write(string directory, string tag, string fileName, string fileContent)
    {
        Directory.CreateDirectory(Path.Combine(directory, "blobs", "sha256"));
        File.WriteAllText(Path.Combine(directory, "oci-layout"), """{"imageLayoutVersion":"1.0.0"}""");

        var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
        {
            var entry = new PaxTarEntry(TarEntryType.RegularFile, fileName)
            {
                DataStream = new MemoryStream(Encoding.UTF8.GetBytes(fileContent)),
                Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
                ModificationTime = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero),
            };
            writer.WriteEntry(entry);
        }
        var uncompressed = tar.ToArray();
        var gzipped = new MemoryStream();
        using (var gzip = new GZipStream(gzipped, CompressionLevel.Optimal, leaveOpen: true)) gzip.Write(uncompressed);
        var layer = WriteBlob(directory, gzipped.ToArray());

        var config = WriteBlob(directory, JsonSerializer.SerializeToUtf8Bytes(new
        {
            architecture = "amd64",
            os = "linux",
            config = new { },
            rootfs = new { type = "layers", diff_ids = new[] { Digest(uncompressed) } },
        }));
        var manifest = WriteBlob(directory, JsonSerializer.SerializeToUtf8Bytes(new
        {
            schemaVersion = 2,
            mediaType = "application/vnd.oci.image.manifest.v1+json",
            config = new { mediaType = "application/vnd.oci.image.config.v1+json", digest = config.Digest, size = config.Size },
            layers = new[] { new { mediaType = "application/vnd.oci.image.layer.v1.tar+gzip", digest = layer.Digest, size = layer.Size } },
        }));
        File.WriteAllBytes(Path.Combine(directory, "index.json"), JsonSerializer.SerializeToUtf8Bytes(new
        {
            schemaVersion = 2,
            manifests = new[]
            {
                new
                {
                    mediaType = "application/vnd.oci.image.manifest.v1+json",
                    digest = manifest.Digest,
                    size = manifest.Size,
                    annotations = new Dictionary<string, string> { ["org.opencontainers.image.ref.name"] = tag },
                },
            },
        }));
        return manifest.Digest;
    }

    private static (string Digest, long Size) WriteBlob(string directory, byte[] content)
    {
        var digest = Digest(content);
        File.WriteAllBytes(Path.Combine(directory, "blobs", "sha256", digest["sha256:".Length..]), content);
        return (digest, content.LongLength);
    }

    private static string Digest(byte[] content) => $"sha256:{Convert.ToHexStringLower(SHA256.HashData(content))}";
}
