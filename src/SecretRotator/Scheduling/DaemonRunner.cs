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
/// The leader's work, from gaining the lease to losing it or shutting down: fetch every registry, list and watch
/// namespaces, managed secrets and service accounts, one full pass over every (secret, namespace), then serve watch events
/// from the queue with <c>settings.concurrency</c> workers. Each mirror registry's source secret is watched by name from
/// the start, so a change to it reaches every copy within seconds (<see cref="MirrorSourceSink"/>).
/// </summary>
public sealed partial class DaemonRunner(
    RotatorConfig config,
    IKubernetesClientProvider kubernetes,
    ClusterState state,
    ReconcileBacklog queue,
    TargetReconciler reconciler,
    RegistryRefresher refresher,
    DaemonStatus status,
    WatchHealth health,
    IOptions<DaemonOptions> options,
    RotatorMetrics metrics,
    ISchedulerFactory schedulers,
    TimeProvider time,
    ILoggerFactory loggers)
{
    private readonly ILogger _logger = loggers.CreateLogger<DaemonRunner>();

    /// <param name="leader">Cancelled when the lease is lost: everything stops at once.</param>
    /// <param name="stopping">Cancelled on shutdown: no new work starts, in-flight writes finish.</param>
    public async Task RunAsync(CancellationToken leader, CancellationToken stopping)
    {
        using var noNewWork = CancellationTokenSource.CreateLinkedTokenSource(leader, stopping);
        state.Synced = false;
        state.Clear();
        queue.Clear();
        var watchers = new List<Task>();
        var resources = new List<string> { "namespaces", "secrets", "serviceaccounts" };
        try
        {
            var client = kubernetes.Client;
            var backoff = new WatchBackoff(options.Value.WatchBackoffInitial, options.Value.WatchBackoffMax, options.Value.WatchTimeout, Random.Shared);
            // Mirror sources first: a change during the start-up fetch is then seen by their watch.
            foreach (var source in MirrorSources.Of(config).GroupBy(m => (m.Source.Namespace, m.Source.Name)))
            {
                var watcher = Watcher(client, backoff, WatchSources.Secret(source.Key.Namespace, source.Key.Name),
                    new MirrorSourceSink([.. source.Select(m => m.Registry)], schedulers));
                resources.Add(watcher.Resource);
                watchers.Add(Supervise(watcher.Resource, watcher.RunAsync(noNewWork.Token), noNewWork.Token));
            }

            // Always a fetch: while this replica stood by, the leader may have fetched newer credentials than its cache holds.
            await Task.WhenAll(config.Registries.Select(r => refresher.RefreshAsync(r.Name, fanOut: false, fetch: true, noNewWork.Token)));
            var namespaces = Watcher(client, backoff, WatchSources.Namespaces, new NamespaceSink(state, config, queue));
            var secrets = Watcher(client, backoff, WatchSources.ManagedSecrets, new SecretSink(state, config, queue));
            var accounts = Watcher(client, backoff, WatchSources.ServiceAccounts, new ServiceAccountSink(state, config, queue));
            watchers.Add(Supervise("namespaces", namespaces.RunAsync(noNewWork.Token), noNewWork.Token));
            watchers.Add(Supervise("secrets", secrets.RunAsync(noNewWork.Token), noNewWork.Token));
            watchers.Add(Supervise("serviceaccounts", accounts.RunAsync(noNewWork.Token), noNewWork.Token));
            await Task.WhenAll(namespaces.FirstListed, secrets.FirstListed, accounts.FirstListed).WaitAsync(noNewWork.Token);
            state.Synced = true;

            var keys = state.AllKeys().ToList();
            var results = new System.Collections.Concurrent.ConcurrentBag<Rotation.TargetResult>();
            await Parallel.ForEachAsync(keys, new ParallelOptions { MaxDegreeOfParallelism = config.Settings.Concurrency, CancellationToken = noNewWork.Token },
                async (key, _) =>
                {
                    if (await reconciler.ReconcileAsync(key, leader) is { } result) results.Add(result);
                });
            refresher.RecordPass(results, time.GetUtcNow());
            status.FirstPassDone = true;
            LogFirstPass(_logger, keys.Count);

            await Task.WhenAll(Enumerable.Range(0, config.Settings.Concurrency).Select(_ => WorkAsync(leader, noNewWork.Token)));
        }
        catch (OperationCanceledException) when (noNewWork.IsCancellationRequested)
        {
            // lease lost or shutting down
        }
        await noNewWork.CancelAsync();
        await Task.WhenAll(watchers);
        foreach (var resource in resources) health.Unregister(resource);
    }

    private async Task WorkAsync(CancellationToken leader, CancellationToken noNewWork)
    {
        while (await queue.TakeAsync(noNewWork) is { } key)
        {
            try
            {
                await reconciler.ReconcileAsync(key, leader);
            }
            catch (OperationCanceledException) when (leader.IsCancellationRequested)
            {
                return;
            }
            finally
            {
                queue.Done();
            }
        }
    }

    private ResourceWatcher<T> Watcher<T>(IKubernetes client, WatchBackoff backoff, WatchSource<T> source, IWatchSink<T> sink)
        where T : IKubernetesObject<V1ObjectMeta> =>
        new(source, client, sink, health, backoff, metrics, time, loggers.CreateLogger($"SecretRotator.Kubernetes.Watching.ResourceWatcher.{source.Resource}"));

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

    [LoggerMessage(EventId = 5401, Level = LogLevel.Information, Message = "First full pass done: {Count} (secret, namespace) pairs")]
    private static partial void LogFirstPass(ILogger logger, int count);

    [LoggerMessage(EventId = 5402, Level = LogLevel.Critical, Message = "Watch loop of {Resource} failed: {Error}")]
    private static partial void LogLoopFailed(ILogger logger, string resource, string error);
}
