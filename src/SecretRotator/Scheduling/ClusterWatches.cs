using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Quartz;
using SecretRotator.Configuration;
using SecretRotator.Kubernetes;
using SecretRotator.Kubernetes.Watching;
using SecretRotator.Registries.Mirror;
using SecretRotator.Telemetry;

namespace SecretRotator.Scheduling;

/// <summary>
/// The leader's list-and-watch loops that fill <see cref="ClusterState"/>: namespaces, managed secrets and service
/// accounts cluster-wide, or with <see cref="DaemonOptions.Namespaced"/> (namespace-scoped RBAC: exact names only) the
/// managed secrets and service accounts of each named namespace, whose namespaces are taken as named. Each mirror
/// registry's source secret is watched by name, so a change to it reaches every copy within seconds.
/// </summary>
public sealed partial class ClusterWatches(
    RotatorConfig config,
    IKubernetesClientProvider kubernetes,
    ClusterState state,
    ReconcileBacklog queue,
    DaemonStatus status,
    WatchHealth health,
    IOptions<DaemonOptions> options,
    RotatorMetrics metrics,
    ISchedulerFactory schedulers,
    NamespaceReadiness readiness,
    TimeProvider time,
    ILoggerFactory loggers)
{
    private readonly ILogger _logger = loggers.CreateLogger<ClusterWatches>();

    /// <summary>Mirror sources first: a change during the start-up fetch is then seen by their watch.</summary>
    public IReadOnlyList<(string Resource, Task Loop)> StartMirrorSources(CancellationToken stop)
    {
        var loops = new List<(string, Task)>();
        foreach (var source in MirrorSources.Of(config).GroupBy(m => (m.Source.Namespace, m.Source.Name)))
        {
            var watcher = Watcher(WatchSources.Secret(source.Key.Namespace, source.Key.Name),
                new MirrorSourceSink([.. source.Select(m => m.Registry)], schedulers));
            loops.Add((watcher.Resource, Supervise(watcher.Resource, watcher.RunAsync(stop), stop)));
        }
        return loops;
    }

    /// <summary>Starts the cluster watches; the returned task completes once every one has listed.</summary>
    public (IReadOnlyList<(string Resource, Task Loop)> Loops, Task Listed) StartCluster(CancellationToken stop)
    {
        var loops = new List<(string, Task)>();
        var listed = new List<Task>();
        void Add<T>(ResourceWatcher<T> watcher) where T : IKubernetesObject<V1ObjectMeta>
        {
            loops.Add((watcher.Resource, Supervise(watcher.Resource, watcher.RunAsync(stop), stop)));
            listed.Add(watcher.FirstListed);
        }

        if (!options.Value.Namespaced)
        {
            Add(Watcher(WatchSources.Namespaces, new NamespaceSink(state, config, queue, readiness)));
            Add(Watcher(WatchSources.ManagedSecrets, new SecretSink(state, config, queue)));
            Add(Watcher(WatchSources.ServiceAccounts, new ServiceAccountSink(state, config, queue)));
            return (loops, Task.WhenAll(listed));
        }
        // Namespace-scoped RBAC cannot read Namespace objects: the named ones are taken to exist (as `run` does), and a
        // missing one shows up as the create's 404 (missing_namespace).
        var named = NamedNamespaces(config);
        state.ReplaceNamespaces(named.Select(n => new V1Namespace { Metadata = new V1ObjectMeta { Name = n } }));
        foreach (var ns in named)
        {
            Add(Watcher(WatchSources.ManagedSecretsIn(ns), new SecretSink(state, config, queue, ns)));
            if (config.Secrets.Any(t => t.ServiceAccounts.Count > 0 && t.Namespaces.Names.Contains(ns)))
                Add(Watcher(WatchSources.ServiceAccountsIn(ns), new ServiceAccountSink(state, config, queue, ns)));
        }
        return (loops, Task.WhenAll(listed));
    }

    /// <summary>Every exactly named namespace a target selects (after exclude), in order: what a namespaced daemon watches.</summary>
    public static IReadOnlyList<string> NamedNamespaces(RotatorConfig config) =>
        [.. config.Secrets.SelectMany(t => t.Namespaces.Names.Where(t.Namespaces.AdmitsName)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];

    /// <summary>Why a config cannot run namespaced, or null: a glob or selector needs the cluster-wide namespace watch.</summary>
    public static string? NamespacedProblem(RotatorConfig config) =>
        config.Secrets.FirstOrDefault(t => !t.Namespaces.IsExplicitOnly) is { } target
            ? $"secret {target.Name} selects namespaces by glob or selector ({target.Location}), which needs a cluster-wide namespace watch; "
              + "use exact namespace names with namespace-scoped RBAC, or cluster-scoped RBAC (chart: rbac.scope=cluster)"
            : null;

    private ResourceWatcher<T> Watcher<T>(WatchSource<T> source, IWatchSink<T> sink) where T : IKubernetesObject<V1ObjectMeta>
    {
        var o = options.Value;
        var backoff = new WatchBackoff(o.WatchBackoffInitial, o.WatchBackoffMax, o.WatchTimeout, Random.Shared);
        return new(source, kubernetes.Client, sink, health, backoff, metrics, time, loggers.CreateLogger($"SecretRotator.Kubernetes.Watching.ResourceWatcher.{source.Resource}"));
    }

    /// <summary>A watch loop ends only when told to; ending otherwise is a fault that /healthz reports.</summary>
    private async Task Supervise(string resource, Task loop, CancellationToken stop)
    {
        try
        {
            await loop;
        }
        catch (Exception e) when (!stop.IsCancellationRequested || e is not OperationCanceledException)
        {
            LogLoopFailed(_logger, resource, e.Message);
            status.Failed($"watch of {resource} ended: {e.GetType().Name}");
            return;
        }
        catch (OperationCanceledException)
        {
            return;
        }
        if (!stop.IsCancellationRequested) status.Failed($"watch of {resource} ended");
    }

    [LoggerMessage(EventId = 5402, Level = LogLevel.Critical, Message = "Watch loop of {Resource} failed: {Error}")]
    private static partial void LogLoopFailed(ILogger logger, string resource, string error);
}
