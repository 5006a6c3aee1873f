using System.Net;
using System.Text;
using System.Text.Json;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;
using SecretRotator.Configuration;
using SecretRotator.Kubernetes;

namespace SecretRotator.Registries.Mirror;

/// <summary>
/// Copies the <c>auths</c> entries of an existing <c>kubernetes.io/dockerconfigjson</c> or <c>kubernetes.io/dockercfg</c>
/// secret (someone else's, often created by hand with kubectl). The source is only read, never labelled or written.
/// Its entries carry no expiry, so every pass re-reads it and a change reaches every copy on the next pass.
/// </summary>
public sealed partial class MirrorRegistryProvider(IKubernetesClientProvider kubernetes, ILogger<MirrorRegistryProvider> logger) : RegistryProvider<MirrorRegistryOptions>
{
    public const string DockerCfgType = "kubernetes.io/dockercfg";
    public const string DockerCfgKey = ".dockercfg";

    public override string Type => "mirror";

    protected override async Task<RegistryCredential> FetchAsync(RegistryDefinition registry, MirrorRegistryOptions source, CancellationToken cancellationToken)
    {
        var secret = await ReadAsync(registry.Name, source, cancellationToken);
        var entries = Entries(registry.Name, source, secret);
        LogMirrored(logger, registry.Name, source.Namespace, source.Name, entries.Count);
        return new RegistryCredential(entries, ExpiresAt: null);
    }

    private async Task<V1Secret> ReadAsync(string registry, MirrorRegistryOptions source, CancellationToken cancellationToken)
    {
        try
        {
            return await kubernetes.Client.CoreV1.ReadNamespacedSecretAsync(source.Name, source.Namespace, cancellationToken: cancellationToken);
        }
        catch (HttpOperationException ex) when (ex.Response.StatusCode == HttpStatusCode.NotFound)
        {
            throw new RegistryException("source_missing", $"registry {registry}: source secret {source} not found", ex);
        }
        catch (HttpOperationException ex) when (ex.Response.StatusCode == HttpStatusCode.Forbidden)
        {
            throw new RegistryException("forbidden", $"registry {registry}: not allowed to get source secret {source}: grant 'get' on secrets in namespace {source.Namespace}", ex);
        }
    }

    /// <summary>The source's entries, or a failure that names the source and what is wrong with it (never a value).</summary>
    internal static IReadOnlyList<DockerAuthEntry> Entries(string registry, MirrorRegistryOptions source, V1Secret secret)
    {
        RegistryException Fail(string problem) => new RegistryException("source_malformed", $"registry {registry}: source secret {source} {problem}");
        var (key, wrap) = secret.Type switch
        {
            ManagedSecret.SecretType => (ManagedSecret.DataKey, false),
            DockerCfgType => (DockerCfgKey, true),
            _ => (null, false),
        };
        if (key is null) throw Fail($"has type {secret.Type ?? "(none)"}; a mirror source must be {ManagedSecret.SecretType} or {DockerCfgType}");
        if (secret.Data?.TryGetValue(key, out var bytes) != true || bytes is null || bytes.Length == 0) throw Fail($"has no {key} data");
        // .dockercfg is the bare auths map of the legacy format.
        var json = wrap ? [.. "{\"auths\":"u8, .. bytes, .. "}"u8] : bytes;
        if (DockerConfigJson.TryParse(json) is { Count: > 0 } entries) return [.. entries.Values];
        throw Fail(Problem(json, key));
    }

    /// <summary>Why <see cref="DockerConfigJson.TryParse"/> refused the bytes, in words that point at the entry.</summary>
    private static string Problem(byte[] json, string key)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            if (!doc.RootElement.TryGetProperty("auths", out var auths) || auths.ValueKind != JsonValueKind.Object)
                return $"has {key} without an \"auths\" object";
            if (!auths.EnumerateObject().Any()) return $"has no entries in {key}";
            foreach (var p in auths.EnumerateObject())
            {
                if (p.Value.ValueKind != JsonValueKind.Object || DockerConfigJson.TryParse(Encoding.UTF8.GetBytes(
                        $"{{\"auths\":{{\"{JsonEncodedText.Encode(p.Name)}\":{p.Value.GetRawText()}}}}}")) is null)
                    return $"has an entry '{p.Name}' without a username and password (or auth) that can be copied";
            }
            return $"has an unreadable {key}";
        }
        catch (Exception e) when (e is JsonException or ArgumentException or InvalidOperationException)
        {
            return $"has {key} that is not valid JSON";
        }
    }

    [LoggerMessage(EventId = 2400, Level = LogLevel.Information, Message = "Registry {Registry}: mirrored {Count} entries from secret {Namespace}/{Name}")]
    private static partial void LogMirrored(ILogger logger, string registry, string @namespace, string name, int count);
}
