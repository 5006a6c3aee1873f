using System.Collections.Concurrent;
using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using SecretRotator.Configuration;
using SecretRotator.Kubernetes;

namespace SecretRotator.Webhook;

/// <summary>
/// A standby replica's answer to "make this secret exist": it has no credential cache, so it copies the target's managed
/// secret from another namespace (one LIST by our labels and the name, remembered briefly) instead of fetching a token.
/// Why copy: every namespace's copy holds the same content, so the copy is exactly what the leader would write and its
/// next pass leaves it unchanged; a fetch would put a second token in circulation, ask the registry (or the cloud's STS)
/// once per standby admission, and take longer than the API server's webhook timeout allows when the cloud is slow.
/// When no namespace holds the secret yet (a fresh install), nothing can be copied and the pod is admitted unchanged;
/// the leader's pass creates the secret within seconds. With rbac.scope namespaced the LIST is refused, and the copy
/// comes from the target's named namespaces, read one by one.
/// </summary>
public sealed class StandbySecretCopier(RotatorConfig config, IKubernetesClientProvider kubernetes, TimeProvider time)
{
    /// <summary>How long a copied source is reused: the leader rewrites secrets well before they expire.</summary>
    internal static readonly TimeSpan SourceLifetime = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<string, (V1Secret? Secret, long ReadAt)> _sources = new(StringComparer.Ordinal);

    public async ValueTask<IReadOnlyList<string>> ServersAsync(SecretTarget target, CancellationToken cancellationToken)
    {
        var source = await SourceAsync(target, cancellationToken);
        var data = source?.Data is { } d && d.TryGetValue(ManagedSecret.DataKey, out var bytes) ? bytes : null;
        return DockerConfigJson.TryParse(data) is { } entries ? [.. entries.Keys] : [];
    }

    public async ValueTask<Ensured> EnsureAsync(SecretTarget target, string ns, bool dryRun, CancellationToken cancellationToken)
    {
        var client = kubernetes.Client;
        try
        {
            await client.CoreV1.ReadNamespacedSecretAsync(target.Name, ns, cancellationToken: cancellationToken);
            return Ensured.Present;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            // missing: copy it below
        }
        if (dryRun) return Ensured.WouldCreate;
        if (await SourceAsync(target, cancellationToken) is not { } source)
            return Ensured.Failed($"no namespace holds secret {target.Name} yet to copy from (this replica is a standby)");
        try
        {
            await client.CoreV1.CreateNamespacedSecretAsync(Copy(source, ns), ns, cancellationToken: cancellationToken);
            return Ensured.Created;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            // Another replica (or the leader's watch) created it first: it exists, which is all the pod needs.
            return Ensured.Present;
        }
    }

    /// <summary>Any namespace's copy of the target, from this installation; null when there is none.</summary>
    private async ValueTask<V1Secret?> SourceAsync(SecretTarget target, CancellationToken cancellationToken)
    {
        var now = time.GetTimestamp();
        if (_sources.TryGetValue(target.Name, out var known) && known.Secret is not null && time.GetElapsedTime(known.ReadAt, now) < SourceLifetime)
            return known.Secret;
        V1Secret? secret;
        try
        {
            var list = await kubernetes.Client.CoreV1.ListSecretForAllNamespacesAsync(
                labelSelector: $"{ManagedSecret.ManagedSelector},{ManagedSecret.InstanceLabel}={config.Settings.Instance}",
                fieldSelector: $"metadata.name={target.Name}", limit: 1, cancellationToken: cancellationToken);
            secret = list.Items.FirstOrDefault(IsOurs);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Forbidden && target.Namespaces.IsExplicitOnly)
        {
            // rbac.scope namespaced: no cluster-wide LIST, but the Role in each named namespace grants reading its secrets.
            secret = await FromNamedNamespacesAsync(target, cancellationToken);
        }
        _sources[target.Name] = (secret, now);
        return secret;
    }

    /// <summary>The first named namespace's copy (a few GETs at most: stops at the first that holds it).</summary>
    private async ValueTask<V1Secret?> FromNamedNamespacesAsync(SecretTarget target, CancellationToken cancellationToken)
    {
        foreach (var ns in target.Namespaces.Names)
        {
            if (!target.Namespaces.AdmitsName(ns)) continue;
            try
            {
                var secret = await kubernetes.Client.CoreV1.ReadNamespacedSecretAsync(target.Name, ns, cancellationToken: cancellationToken);
                if (IsOurs(secret)) return secret;
            }
            catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Forbidden)
            {
                // not there yet, or a namespace the Role does not reach: try the next
            }
        }
        return null;
    }

    private bool IsOurs(V1Secret secret) =>
        secret.Data?.ContainsKey(ManagedSecret.DataKey) == true
        && secret.GetLabel(ManagedSecret.ManagedByLabel) == ManagedSecret.ManagedByValue
        && secret.GetLabel(ManagedSecret.InstanceLabel) == config.Settings.Instance;

    /// <summary>The same content, labels and our annotations in another namespace; the listed object is not changed.</summary>
    private static V1Secret Copy(V1Secret source, string ns) => new()
    {
        ApiVersion = "v1",
        Kind = "Secret",
        Type = source.Type,
        Metadata = new V1ObjectMeta
        {
            Name = source.Metadata.Name,
            NamespaceProperty = ns,
            Labels = new Dictionary<string, string>(source.Metadata.Labels ?? new Dictionary<string, string>(), StringComparer.Ordinal),
            Annotations = (source.Metadata.Annotations ?? new Dictionary<string, string>())
                .Where(a => a.Key.StartsWith("secret-rotator.io/", StringComparison.Ordinal))
                .ToDictionary(a => a.Key, a => a.Value, StringComparer.Ordinal),
        },
        Data = new Dictionary<string, byte[]> { [ManagedSecret.DataKey] = source.Data[ManagedSecret.DataKey] },
    };
}
