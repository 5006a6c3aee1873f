using System.Text.Json;
using k8s.Models;
using SecretRotator.Kubernetes;
using SecretRotator.Registries.Mirror;
using SecretRotator.Rotation;

namespace SecretRotator.Explain;

/// <summary>Reads a Secret the way kubelet's MakeDockerKeyring does: which keys it contributes, or why none.</summary>
public static class PullSecretReader
{
    public static PullSecretView Read(V1Secret secret)
    {
        var name = secret.Metadata.Name;
        var managed = secret.GetLabel(ManagedSecret.ManagedByLabel) == ManagedSecret.ManagedByValue;
        var key = secret.Type switch
        {
            ManagedSecret.SecretType => ManagedSecret.DataKey,
            MirrorRegistryProvider.DockerCfgType => MirrorRegistryProvider.DockerCfgKey,
            _ => null,
        };
        if (key is null)
            return new PullSecretView(name, PullSecretState.WrongType, secret.Type, managed, [], $"type {secret.Type ?? "(none)"} is not a pull secret type: kubelet skips it");
        if (secret.Data is null || !secret.Data.TryGetValue(key, out var bytes) || bytes is not { Length: > 0 })
            return new PullSecretView(name, PullSecretState.WrongType, secret.Type, managed, [], $"has no {key} data: kubelet skips it");
        if (Servers(bytes, legacy: key == MirrorRegistryProvider.DockerCfgKey) is not { } servers)
            return new PullSecretView(name, PullSecretState.Malformed, secret.Type, managed, [], $"{key} is not valid JSON: kubelet fails every image pull of the pod");

        var sources = managed ? SecretSources.Parse(secret.GetAnnotation(ManagedSecret.SourcesAnnotation)) : null;
        var expires = managed && DateTimeOffset.TryParse(secret.GetAnnotation(ManagedSecret.ExpiresAtAnnotation), out var e) ? e : (DateTimeOffset?)null;
        var entries = servers.Select(server =>
        {
            var source = sources?.FirstOrDefault(s => s.Value.Servers.Contains(server));
            return source?.Key is { } registry
                ? new PullSecretEntry(server, registry, source.Value.Value.ExpiresAt)
                : new PullSecretEntry(server, null, expires);
        }).ToList();
        return new PullSecretView(name, PullSecretState.Ok, secret.Type, managed, entries);
    }

    /// <summary>The auths keys in document order; null when kubelet's JSON decoding would fail.</summary>
    private static List<string>? Servers(byte[] bytes, bool legacy)
    {
        try
        {
            using var doc = JsonDocument.Parse(bytes);
            if (doc.RootElement.ValueKind != JsonValueKind.Object) return null;
            var auths = doc.RootElement;
            if (!legacy)
            {
                // A config without "auths" decodes to an empty keyring, not an error.
                if (!doc.RootElement.TryGetProperty("auths", out auths) || auths.ValueKind == JsonValueKind.Null) return [];
                if (auths.ValueKind != JsonValueKind.Object) return null;
            }
            var servers = new List<string>();
            foreach (var p in auths.EnumerateObject())
            {
                if (p.Value.ValueKind is not (JsonValueKind.Object or JsonValueKind.Null)) return null;
                servers.Add(p.Name);
            }
            return servers;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
