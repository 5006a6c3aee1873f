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
    NamespaceReadiness readiness,
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
        catch (HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }
        // The reconcile below only serves namespaces the cache holds; the watch's own event replaces this entry. A namespace
        // the synced watch has not delivered yet is one being created now: its first secret counts as time to secret.
        if (ServesFromCache && !state.Namespaces.ContainsKey(name))
        {
            readiness.Appeared(ns);
            state.Namespaces.TryAdd(name, ns);
        }
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
        // The reconcile runs on the leader's token only: when the request's budget runs out the answer goes (unpatched)
        // but the write is not cut half-way, and the service-account half still completes.
        var result = await reconciler.ReconcileAsync(new ReconcileKey(target.Name, ns), leadership.Token).WaitAsync(cancellationToken);
        switch (result?.Outcome)
        {
            case Outcome.Created: return Ensured.Created;
            case Outcome.Updated or Outcome.Unchanged: return Ensured.Present;
            case Outcome.Foreign: return Ensured.Failed($"secret {target.Name} in {ns} exists and is not managed by secret-rotator");
            case null: return Ensured.Failed($"namespace {ns} is gone or no longer selected");
        }
        // The pod needs the secret, not the service account: a failed account patch after a written secret is the
        // daemon's to retry, and the pod can be admitted with the reference.
        return await ExistsAsync(target.Name, ns, cancellationToken)
            ? Ensured.Present
            : Ensured.Failed($"secret {target.Name} in {ns}: {result!.Reason} {result.Message}");
    }

    private async Task<bool> ExistsAsync(string name, string ns, CancellationToken cancellationToken)
    {
        if (state.Secrets.ContainsKey((ns, name))) return true;
        try
        {
            await kubernetes.Client.CoreV1.ReadNamespacedSecretAsync(name, ns, cancellationToken: cancellationToken);
            return true;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return false;
        }
    }
}
