using System.Security.Cryptography;
using k8s;
using k8s.Models;
using SecretRotator.Configuration;
using SecretRotator.Kubernetes;
using SecretRotator.Registries;

namespace SecretRotator.Rotation;

/// <summary>The Secret a target should have in one namespace, and which registries could not contribute.</summary>
public sealed record DesiredSecret(V1Secret Secret, IReadOnlyList<string> MissingRegistries, bool HasEntries);

/// <summary>
/// Builds desired Secrets. A registry without a fresh credential (failed, or skipped because still fresh)
/// keeps the entries it had in the existing secret: a working credential is never dropped or blanked.
/// </summary>
public static class SecretBuilder
{
    public static DesiredSecret Build(
        SecretTarget target,
        string @namespace,
        IReadOnlyDictionary<string, RegistryCredential> fresh,
        V1Secret? existing,
        DateTimeOffset now,
        string instance = "default")
    {
        var entries = new List<DockerAuthEntry>();
        var sources = new Dictionary<string, SourceRecord>(StringComparer.Ordinal);
        var missing = new List<string>();
        var previousSources = SecretSources.Parse(existing?.GetAnnotation(ManagedSecret.SourcesAnnotation));
        var previousEntries = existing is null ? null : DockerConfigJson.TryParse(existing.Data is { } d && d.TryGetValue(ManagedSecret.DataKey, out var b) ? b : null);

        foreach (var registry in target.Registries)
        {
            if (fresh.TryGetValue(registry, out var credential))
            {
                entries.AddRange(credential.Entries);
                sources[registry] = new SourceRecord(credential.Entries.Select(e => e.Server).ToList(), credential.ExpiresAt);
                continue;
            }
            // Carry the previous entries over only when every one of them is still present and readable.
            if (previousSources?.GetValueOrDefault(registry) is { Servers.Count: > 0 } previous && previousEntries is not null &&
                previous.Servers.All(previousEntries.ContainsKey))
            {
                entries.AddRange(previous.Servers.Select(s => previousEntries[s]));
                sources[registry] = previous;
                continue;
            }
            missing.Add(registry);
        }

        var data = DockerConfigJson.Build(entries);
        var expiry = sources.Values.Select(s => s.ExpiresAt).Where(e => e.HasValue).Min();
        var secret = new V1Secret
        {
            ApiVersion = "v1",
            Kind = "Secret",
            Type = ManagedSecret.SecretType,
            Metadata = new V1ObjectMeta
            {
                Name = target.Name,
                NamespaceProperty = @namespace,
                Labels = new Dictionary<string, string>
                {
                    [ManagedSecret.ManagedByLabel] = ManagedSecret.ManagedByValue,
                    [ManagedSecret.InstanceLabel] = instance,
                },
                Annotations = new Dictionary<string, string>
                {
                    [ManagedSecret.RegistriesAnnotation] = string.Join(",", target.Registries),
                    [ManagedSecret.SourcesAnnotation] = SecretSources.Serialize(sources),
                    [ManagedSecret.ContentHashAnnotation] = Hash(data),
                    [ManagedSecret.RotatedAtAnnotation] = SecretSources.FormatTime(now),
                },
            },
            Data = new Dictionary<string, byte[]> { [ManagedSecret.DataKey] = data },
        };
        if (expiry is { } e) secret.Metadata.Annotations[ManagedSecret.ExpiresAtAnnotation] = SecretSources.FormatTime(e);
        return new DesiredSecret(secret, missing, entries.Count > 0);
    }

    /// <summary>
    /// True when the existing secret already holds what we would write: same type, data and our metadata.
    /// rotated-at is ignored, so an identical rewrite is skipped and the secret keeps its rotation time.
    /// </summary>
    public static bool IsUpToDate(V1Secret existing, V1Secret desired) =>
        existing.Type == desired.Type && SameData(existing, desired) && SameMetadata(existing, desired);

    /// <summary>
    /// A copy of the existing object with our labels, annotations, type and data overlaid, keeping everything else the
    /// owner added. The existing object is not changed: it may be shared by a listing or a watch cache.
    /// </summary>
    public static V1Secret MergeInto(V1Secret listed, V1Secret desired)
    {
        var existing = KubernetesJson.Deserialize<V1Secret>(KubernetesJson.Serialize(listed));
        existing.Metadata.Labels ??= new Dictionary<string, string>();
        foreach (var (k, v) in desired.Metadata.Labels) existing.Metadata.Labels[k] = v;
        existing.Metadata.Annotations ??= new Dictionary<string, string>();
        foreach (var (k, v) in desired.Metadata.Annotations) existing.Metadata.Annotations[k] = v;
        if (!desired.Metadata.Annotations.ContainsKey(ManagedSecret.ExpiresAtAnnotation))
            existing.Metadata.Annotations.Remove(ManagedSecret.ExpiresAtAnnotation);
        existing.Type = desired.Type;
        existing.Data = desired.Data;
        existing.StringData = null;
        return existing;
    }

    private static bool SameData(V1Secret existing, V1Secret desired) =>
        existing.Data is { Count: 1 } data && data.TryGetValue(ManagedSecret.DataKey, out var bytes) &&
        bytes.AsSpan().SequenceEqual(desired.Data[ManagedSecret.DataKey]);

    private static bool SameMetadata(V1Secret existing, V1Secret desired)
    {
        foreach (var (k, v) in desired.Metadata.Labels)
        {
            if (existing.GetLabel(k) != v) return false;
        }
        foreach (var (k, v) in desired.Metadata.Annotations)
        {
            if (k == ManagedSecret.RotatedAtAnnotation) continue;
            if (existing.GetAnnotation(k) != v) return false;
        }
        return desired.Metadata.Annotations.ContainsKey(ManagedSecret.ExpiresAtAnnotation) ||
               existing.GetAnnotation(ManagedSecret.ExpiresAtAnnotation) is null;
    }

    public static string Hash(byte[] data) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(data));
}
