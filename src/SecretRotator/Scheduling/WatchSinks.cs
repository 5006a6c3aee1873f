using k8s;
using k8s.Models;
using Quartz;
using SecretRotator.Configuration;
using SecretRotator.Kubernetes.Watching;
using SecretRotator.Rotation;

namespace SecretRotator.Scheduling;

/// <summary>Namespaces: a new namespace, or one relabelled into a selection, gets every secret that selects it.</summary>
/// <param name="readiness">Told of every namespace added while synced (a namespace the daemon saw being created).</param>
public sealed class NamespaceSink(ClusterState state, RotatorConfig config, ReconcileBacklog queue, NamespaceReadiness? readiness = null) : IWatchSink<V1Namespace>
{
    public ValueTask ReplaceAsync(IList<V1Namespace> items, CancellationToken cancellationToken)
    {
        state.ReplaceNamespaces(items);
        if (state.Synced) foreach (var key in state.AllKeys()) queue.Enqueue(key);
        return ValueTask.CompletedTask;
    }

    public ValueTask ApplyAsync(WatchEventType type, V1Namespace item, CancellationToken cancellationToken)
    {
        if (type == WatchEventType.Deleted)
        {
            state.Namespaces.TryRemove(item.Metadata.Name, out _);
            readiness?.Deleted(item.Metadata.Name);
            return ValueTask.CompletedTask;
        }
        // Before the cache has it: a webhook admission that finds it there may create the secret at once.
        if (type == WatchEventType.Added && state.Synced) readiness?.Appeared(item);
        state.Namespaces[item.Metadata.Name] = item;
        if (!state.Synced) return ValueTask.CompletedTask;
        foreach (var target in config.Secrets.Where(t => NamespaceSelector.Selects(t.Namespaces, item)))
            queue.Enqueue(new ReconcileKey(target.Name, item.Metadata.Name));
        return ValueTask.CompletedTask;
    }
}

/// <summary>Managed secrets (by label): a deleted or hand-edited one is restored.</summary>
/// <param name="scope">The namespace its watch covers (namespace-scoped RBAC), or null for cluster-wide.</param>
public sealed class SecretSink(ClusterState state, RotatorConfig config, ReconcileBacklog queue, string? scope = null) : IWatchSink<V1Secret>
{
    public ValueTask ReplaceAsync(IList<V1Secret> items, CancellationToken cancellationToken)
    {
        state.ReplaceSecrets(items, scope);
        // After a relist (410) deletions in the gap are invisible: check every key, most are unchanged and cost nothing.
        if (state.Synced) foreach (var key in state.AllKeys()) queue.Enqueue(key);
        return ValueTask.CompletedTask;
    }

    public ValueTask ApplyAsync(WatchEventType type, V1Secret item, CancellationToken cancellationToken)
    {
        var key = (item.Metadata.NamespaceProperty, item.Metadata.Name);
        if (type == WatchEventType.Deleted) state.Secrets.TryRemove(key, out _);
        else state.Secrets[key] = item;
        if (state.Synced && config.Secrets.FirstOrDefault(t => t.Name == item.Metadata.Name) is { } target
            && state.Namespaces.TryGetValue(item.Metadata.NamespaceProperty, out var ns) && NamespaceSelector.Selects(target.Namespaces, ns))
            queue.Enqueue(new ReconcileKey(target.Name, ns.Metadata.Name));
        return ValueTask.CompletedTask;
    }
}

/// <summary>Service accounts named in the config: an imagePullSecrets entry someone removed is put back.</summary>
/// <param name="scope">The namespace its watch covers (namespace-scoped RBAC), or null for cluster-wide.</param>
public sealed class ServiceAccountSink(ClusterState state, RotatorConfig config, ReconcileBacklog queue, string? scope = null) : IWatchSink<V1ServiceAccount>
{
    public ValueTask ReplaceAsync(IList<V1ServiceAccount> items, CancellationToken cancellationToken)
    {
        state.ReplaceServiceAccounts(items, scope);
        if (state.Synced) foreach (var key in state.AllKeys()) queue.Enqueue(key);
        return ValueTask.CompletedTask;
    }

    public ValueTask ApplyAsync(WatchEventType type, V1ServiceAccount item, CancellationToken cancellationToken)
    {
        if (!state.IsConfiguredAccount(item.Metadata.Name)) return ValueTask.CompletedTask;
        var key = (item.Metadata.NamespaceProperty, item.Metadata.Name);
        if (type == WatchEventType.Deleted) state.ServiceAccounts.TryRemove(key, out _);
        else state.ServiceAccounts[key] = item;
        if (!state.Synced || type == WatchEventType.Deleted || !state.Namespaces.TryGetValue(item.Metadata.NamespaceProperty, out var ns))
            return ValueTask.CompletedTask;
        // An account that lists the secret needs nothing: most events are our own patches coming back (10,000 after a
        // first pass over 10,000 namespaces), each of which would otherwise cost a reconcile.
        foreach (var target in config.Secrets.Where(t => t.ServiceAccounts.Contains(item.Metadata.Name) && !ServiceAccountPatcher.Lists(item, t.Name)
                     && NamespaceSelector.Selects(t.Namespaces, ns)))
            queue.Enqueue(new ReconcileKey(target.Name, ns.Metadata.Name));
        return ValueTask.CompletedTask;
    }
}

/// <summary>
/// A mirror registry's source secret: any change (or a relist, which may hide one) fires the Quartz job of every registry
/// that copies it, which re-reads the source and fans the entries out to every target. The first list fires too, so a
/// change between the start-up fetch and that list is not lost (one extra read of the source per leadership start).
/// </summary>
public sealed class MirrorSourceSink(IReadOnlyList<string> registries, ISchedulerFactory schedulers) : IWatchSink<V1Secret>
{
    public ValueTask ReplaceAsync(IList<V1Secret> items, CancellationToken cancellationToken) => FireAsync(cancellationToken);

    public ValueTask ApplyAsync(WatchEventType type, V1Secret item, CancellationToken cancellationToken) => FireAsync(cancellationToken);

    private async ValueTask FireAsync(CancellationToken cancellationToken)
    {
        var scheduler = await schedulers.GetScheduler(cancellationToken);
        // The job disallows concurrent execution: a fire during a running fetch waits and fetches again afterwards.
        foreach (var registry in registries)
            await scheduler.TriggerJob(RegistryRefresher.JobKey(registry), new JobDataMap { [RegistryRefreshJob.FetchKey] = true }, cancellationToken);
    }
}
