using HttpStatusCode = System.Net.HttpStatusCode;
using k8s;
using k8s.Autorest;
using k8s.Models;
using SecretRotator.Configuration;
using SecretRotator.Kubernetes;
using SecretRotator.Registries;
using SecretRotator.Rotation;
using SecretRotator.Scheduling;

namespace SecretRotator.Webhook;

/// <summary>
/// The daemon's side of the webhook. On the leader (once its watches have listed) everything comes from memory: the
/// namespace and the secret from <see cref="ClusterState"/>, the servers from the <see cref="CredentialCache"/>, so an
/// admission whose secret exists costs no API call; a missing secret is created through the daemon's own per-event
/// reconcile (<see cref="TargetReconciler"/>), so it is an ordinary managed secret the next pass keeps fresh. A standby
/// has no caches and goes to the API (<see cref="StandbySecretCopier"/>).
/// </summary>
public sealed class DaemonAdmissionSource(
    RotatorConfig config,
    ClusterState state,
    CredentialCache credentials,
    TargetReconciler reconciler,
    Leadership leadership,
    StandbySecretCopier standby,
    IKubernetesClientProvider kubernetes,
    IEnumerable<IRegistryProvider> providers) : IAdmissionSecretSource
{
    private readonly Dictionary<string, IRegistryProvider> _providers = providers.ToDictionary(p => p.Type, StringComparer.Ordinal);

    /// <summary>A leader still listing (or one that just lost the lease) has caches it cannot trust yet.</summary>
    private bool ServesFromCache => leadership.IsLeader && state.Synced;

    public async ValueTask<V1Namespace?> NamespaceAsync(string name, CancellationToken cancellationToken)
    {
        if (ServesFromCache && state.Namespaces.TryGetValue(name, out var cached)) return cached;
        // A namespace applied together with its pods reaches the webhook before the watch delivers it: read it.
        V1Namespace ns;
        try
        {
            ns = await kubernetes.Client.CoreV1.ReadNamespaceAsync(name, cancellationToken: cancellationToken);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        // The reconcile below only serves namespaces the cache holds; the watch's own event replaces this entry.
        if (ServesFromCache) state.Namespaces.TryAdd(name, ns);
        return ns;
    }

    public async ValueTask<IReadOnlyList<string>> ServersAsync(SecretTarget target, CancellationToken cancellationToken)
    {
        if (!ServesFromCache) return await standby.ServersAsync(target, cancellationToken);
        var servers = new List<string>();
        foreach (var name in target.Registries)
        {
            var registry = config.Registry(name);
            // A registry whose fetch failed still has the servers its config names (ECR without accounts has none).
            if (credentials.Valid(name) is { } credential) servers.AddRange(credential.Entries.Select(e => e.Server));
            else servers.AddRange(_providers[registry.Type].ConfiguredServers(registry));
        }
        return servers;
    }

    public async ValueTask<Ensured> EnsureAsync(SecretTarget target, string ns, bool dryRun, CancellationToken cancellationToken)
    {
        if (!ServesFromCache) return await standby.EnsureAsync(target, ns, dryRun, cancellationToken);
        if (state.Secrets.ContainsKey((ns, target.Name))) return Ensured.Present;
        if (dryRun) return Ensured.WouldCreate;
        // Writes stop the moment the lease is lost; the request's own deadline bounds the wait for the key's lock.
        using var both = CancellationTokenSource.CreateLinkedTokenSource(leadership.Token, cancellationToken);
        var result = await reconciler.ReconcileAsync(new ReconcileKey(target.Name, ns), both.Token);
        return result?.Outcome switch
        {
            Outcome.Created => Ensured.Created,
            Outcome.Updated or Outcome.Unchanged => Ensured.Present,
            Outcome.Foreign => Ensured.Failed($"secret {target.Name} in {ns} exists and is not managed by secret-rotator"),
            null => Ensured.Failed($"namespace {ns} is gone or no longer selected"),
            _ => Ensured.Failed($"secret {target.Name} in {ns}: {result.Reason} {result.Message}"),
        };
    }
}
